// Signs the same prepared 10 KB campaign mail N times on one thread, first with MimeKit's stock
// DkimSigner (BouncyCastle RSA), then with Lupa's MessageSigner (OpenSSL RSA), and prints messages
// a second for each. Both sign the same headers, relaxed/relaxed, with the same 2048-bit key.
// Then, as a campaign send does, it writes one recipient's message with PersonalisedMessageWriter
// and signs it, N times each way: through MimeKit's canonicalisation (MessageSigner.Sign) and over
// the written bytes (the writer's own path).
//
//   dotnet run -c Release --project bench/DkimBench [N=20000] [N for the stock signer, default N]
//
// The stock signer manages about 200 a second, so N=20000 keeps it busy for well over a minute.
using System.Diagnostics;
using System.Text;
using Lupa.Mail;
using Lupa.Mail.Dkim;
using MimeKit;
using MimeKit.Cryptography;

var count = args.Length > 0 ? int.Parse(args[0]) : 20_000;
var stockCount = args.Length > 1 ? int.Parse(args[1]) : count;
const string Domain = "news.acme.test", Selector = "bench";

var html = new StringBuilder("<html><body>");
while (html.Length < 10 * 1024)
    html.Append("<p>Unser Frühjahrssortiment ist da: Äpfel, Birnen und Brötchen – jetzt 20 % günstiger.</p>\n");
html.Append("</body></html>");
var message = MailComposer.Compose(new MailSpec
{
    FromName = "Bäckerei Söhne", FromAddress = "info@" + Domain,
    ToName = "Jürgen Müller", To = "juergen@example.org",
    Subject = "Grüße aus Köln – Ihr Newsletter für März",
    Text = "Hallo Jürgen,\nunser Frühjahrssortiment ist da.\n", Html = html.ToString(),
    UnsubscribeUrl = "https://lupa.acme.test/u/token", MessageIdDomain = Domain,
});
Console.WriteLine($"message: {MailComposer.ToBytes(message).Length:N0} bytes; {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Trim()}");

var key = DkimKey.GenerateRsa(2048);
using var pem = new MemoryStream(Encoding.ASCII.GetBytes(key.PrivateKeyPem));
var stock = new DkimSigner(pem, Domain, Selector)
{
    HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
    BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
};
var headers = MessageSigner.HeadersToSign(message);
using var lupa = new MessageSigner(Domain, Selector, key);

Measure("MimeKit DkimSigner (BouncyCastle)", stockCount, () => stock.Sign(message, headers));
Measure("Lupa MessageSigner (OpenSSL)", count, () => lupa.Sign(message));

var writer = new PersonalisedMessageWriter("Bäckerei Söhne", "info@" + Domain, null, "\"News\" <news.bench.lupa.localhost>",
    "1:1:campaign:lupa", "mailto:unsubscribe@lupa.localhost");
var parts = new PersonalisedParts
{
    To = "juergen@example.org", ToName = "Jürgen Müller", Subject = "Grüße aus Köln – Ihr Newsletter für März",
    MessageId = "c1.s1.abcdef@" + Domain, UnsubscribeUrl = "https://lupa.acme.test/u/token", Language = "de",
    Text = "Hallo Jürgen,\nunser Frühjahrssortiment ist da.\n", Html = html.ToString(),
};
var now = DateTimeOffset.UtcNow;
Console.WriteLine($"written message: {writer.Write(parts, now).Length:N0} bytes");
Measure("write only (no signature)", count, () => writer.Write(parts, now));
Measure("write, then MessageSigner.Sign", count, () => lupa.Sign(MailComposer.FromBytes(writer.Write(parts, now))));
Measure("write and sign the written bytes", count, () => writer.Write(parts, now, lupa));

void Measure(string name, int n, Action sign)
{
    // Warm up (JIT, OpenSSL's first use), then sign n times; the signature header is removed after
    // each so every round signs the same message.
    for (var i = 0; i < Math.Min(n, 100); i++)
        SignOnce(sign);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < n; i++)
        SignOnce(sign);
    clock.Stop();
    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    Console.WriteLine($"{name,-36} {n,7:N0} messages in {clock.Elapsed.TotalSeconds,6:F2} s: {n / clock.Elapsed.TotalSeconds,7:N0} messages/s (process CPU {cpuUsed.TotalSeconds:F2} s)");
}

void SignOnce(Action sign)
{
    sign();
    message.Headers.RemoveAll(HeaderId.DkimSignature);
}
