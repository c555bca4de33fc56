using System.Text;
using Lupa.Domain.Imports;
using Lupa.Imports;

namespace Lupa.Tests;

/// <summary>Property tests of the CSV reader: whatever the bytes, no exception escapes and every record gets an outcome.</summary>
public sealed class ImportFileFuzzTests
{
    private static readonly string[] Tokens =
    [
        "email", "name", "consent_at", "consent_method", "a@example.com", "b@example.fi", "x@", "\"", "\"\"", ",", ";", "\t", "\n", "\r\n", "\r",
        "2026-01-01T10:00:00Z", "form", "paper", "customer", "legal_basis", "é", "ä", "\0", "\u00ff", "😀", " ", "=cmd()", "<script>",
    ];

    private static (int Records, int Outcomes) ReadAll(string path)
    {
        var (file, problem) = ImportFile.Open(path);
        if (file is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(problem));
            return (0, 0);
        }
        var map = ImportColumns.Map(file.Header, null);
        int records = 0, outcomes = 0;
        foreach (var record in file.DataRecords())
        {
            records++;
            var (row, refusal) = record.Broken ? (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "broken quoting")) : ImportRowRules.Read(record.Row, record.Fields, map, DateTimeOffset.UtcNow);
            Assert.True(row is null ^ refusal is null);
            if (refusal is not null)
                Assert.Contains(refusal.Outcome, ImportOutcomes.All);
            outcomes++;
        }
        return (records, outcomes);
    }

    [Fact]
    public void Random_csv_like_input_never_throws_and_every_record_is_accounted_for()
    {
        var random = new Random(20261125);
        var path = Path.Combine(Path.GetTempPath(), $"lupa-fuzz-{Guid.NewGuid():N}.csv");
        var stopAt = DateTime.UtcNow.AddSeconds(20);
        try
        {
            for (var i = 0; i < 400 && DateTime.UtcNow < stopAt; i++)
            {
                var sb = new StringBuilder(i % 3 == 0 ? "email,name,consent_at,consent_method\n" : "");
                var n = random.Next(1, 200);
                for (var t = 0; t < n; t++)
                    sb.Append(Tokens[random.Next(Tokens.Length)]);
                var bytes = i % 5 == 0 ? Encoding.Latin1.GetBytes(sb.ToString()) : Encoding.UTF8.GetBytes(sb.ToString());
                if (i % 7 == 0)
                {
                    // raw junk in the middle
                    var junk = new byte[random.Next(1, 64)];
                    random.NextBytes(junk);
                    bytes = [.. bytes.Take(bytes.Length / 2), .. junk, .. bytes.Skip(bytes.Length / 2)];
                }
                File.WriteAllBytes(path, bytes);
                var (records, outcomes) = ReadAll(path);
                Assert.Equal(records, outcomes);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Ragged_rows_broken_quotes_and_a_50_MB_line_each_get_an_outcome()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lupa-fuzz-{Guid.NewGuid():N}.csv");
        try
        {
            using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                w.Write("email,name,consent_at,consent_method\n");
                w.Write("ok@example.com,Ok,2026-01-01T10:00:00Z,form\n");
                w.Write("ragged@example.com\n");
                w.Write("too@example.com,many,fields,here,and,more\n");
                w.Write("huge@example.com,");
                w.Write(new string('x', 50 * 1024 * 1024));
                w.Write(",2026-01-01T10:00:00Z,form\n");
                w.Write("after@example.com,After,2026-01-01T10:00:00Z,form\n");
                w.Write("quote@example.com,\"Bro\"ken\",2026-01-01T10:00:00Z,form\n");
            }
            var (file, _) = ImportFile.Open(path);
            var map = ImportColumns.Map(file!.Header, null);
            var outcomes = new List<string>();
            foreach (var record in file.DataRecords())
            {
                var (row, refusal) = record.Broken ? (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "broken quoting")) : ImportRowRules.Read(record.Row, record.Fields, map, DateTimeOffset.UtcNow);
                outcomes.Add(row is not null ? "ok:" + row.Address.Value : refusal!.Outcome);
            }
            Assert.Equal(["ok:ok@example.com", "skipped_malformed", "skipped_malformed", "skipped_malformed", "ok:after@example.com", "skipped_malformed"], outcomes);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
