// Parses the bounce corpus (tests/Lupa.Domain.Tests/Mail/bounce-corpus) over and over on one thread,
// the whole way a message that comes back takes: MIME parse, DSN or ARF or text format, classification.
// Prints parses a second over the mix, then for each sample alone: per second of wall-clock time, and
// per second of CPU time the process used (the fair figure on a machine that other work also keeps
// busy: it is what one core does when it only parses).
//
//   dotnet run -c Release --project bench/BounceBench [SECONDS=5]
using System.Diagnostics;
using Lupa.Mail.Bounces;

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
var dir = FindCorpus();
var samples = Directory.GetFiles(dir, "*.eml").Order().Select(f => (Name: Path.GetFileName(f), Bytes: File.ReadAllBytes(f))).ToArray();
Console.WriteLine($"{samples.Length} samples from {dir}, {samples.Sum(s => s.Bytes.Length) / samples.Length} bytes on average; one thread, {seconds} s each");

// Warm up: JIT, tiered compilation, regex construction.
for (var i = 0; i < 2000; i++)
    foreach (var s in samples)
        Consume(InboundReport.Read(s.Bytes));

Console.WriteLine($"{"",-38} {"wall",12} {"CPU",12}");
var (wall, cpu) = Run(samples.Select(s => s.Bytes).ToArray(), seconds);
Console.WriteLine($"{"mix of all samples",-38} {wall,12:N0} {cpu,12:N0} parses/s");
foreach (var s in samples)
{
    (wall, cpu) = Run([s.Bytes], seconds / 4);
    Console.WriteLine($"  {s.Name,-36} {wall,12:N0} {cpu,12:N0} parses/s");
}

static (double Wall, double Cpu) Run(byte[][] inputs, double seconds)
{
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    long n = 0;
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        foreach (var b in inputs)
            Consume(InboundReport.Read(b));
        n += inputs.Length;
    }
    var wall = sw.Elapsed.TotalSeconds;
    process.Refresh();
    var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
    return (n / wall, n / cpu);
}

static void Consume(InboundReport r)
{
    if (r.Kind == (InboundKind)(-1))
        throw new InvalidOperationException();
}

static string FindCorpus()
{
    for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
    {
        var candidate = Path.Combine(d.FullName, "tests", "Lupa.Domain.Tests", "Mail", "bounce-corpus");
        if (Directory.Exists(candidate))
            return candidate;
    }
    throw new DirectoryNotFoundException("Run from inside the Lupa checkout: tests/Lupa.Domain.Tests/Mail/bounce-corpus was not found.");
}
