using System.Globalization;
using System.Text;
using System.Text.Unicode;
using CsvHelper;
using CsvHelper.Configuration;

namespace Lupa.Imports;

/// <summary>One record of a CSV file: its row number (the header is row 1), its fields, and whether its quoting was broken.</summary>
public readonly record struct CsvRecord(long Row, string[] Fields, bool Broken);

/// <summary>
/// Reads an uploaded CSV file as a stream, record by record, whatever its encoding (UTF-8 with or
/// without BOM, else Windows-1252) and delimiter (comma, semicolon or tab, found from the header).
/// Memory does not grow with the file.
/// </summary>
public sealed class ImportFile
{
    static ImportFile() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private ImportFile(string path, Encoding encoding, char delimiter, string[] header)
    {
        Path = path;
        Encoding = encoding;
        Delimiter = delimiter;
        Header = header;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The encoding found.</summary>
    public Encoding Encoding { get; }

    /// <summary>The encoding's name as reported.</summary>
    public string EncodingName => Encoding.CodePage == 1252 ? "windows-1252" : "utf-8";

    /// <summary>The delimiter found.</summary>
    public char Delimiter { get; }

    /// <summary>The header's fields.</summary>
    public string[] Header { get; }

    /// <summary>Opens a file, or says why it cannot be imported at all.</summary>
    public static (ImportFile? File, string? Problem) Open(string path)
    {
        var encoding = DetectEncoding(path, out var binary);
        if (binary)
            return (null, "the file is not text (it contains binary data before its first line break)");
        string? headerLine;
        using (var reader = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true))
            headerLine = ReadFirstLine(reader, 1 << 20);
        if (string.IsNullOrWhiteSpace(headerLine))
            return (null, "the file is empty or its first line is not a header");
        var delimiter = DetectDelimiter(headerLine);
        var file = new ImportFile(path, encoding, delimiter, []);
        using var first = file.Records().GetEnumerator();
        if (!first.MoveNext())
            return (null, "the file has no header");
        var header = first.Current.Fields.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        return (new ImportFile(path, encoding, delimiter, header), null);
    }

    /// <summary>Every record after the header.</summary>
    public IEnumerable<CsvRecord> DataRecords() => Records().Skip(1);

    private IEnumerable<CsvRecord> Records()
    {
        var broken = false;
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = Delimiter.ToString(),
            BadDataFound = _ => broken = true,
            DetectColumnCountChanges = false,
            IgnoreBlankLines = true,
            TrimOptions = TrimOptions.None,
            CountBytes = false,
        };
        using var reader = new StreamReader(Path, Encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        using var parser = new CsvParser(reader, config);
        while (parser.Read())
        {
            var fields = parser.Record ?? [];
            yield return new CsvRecord(parser.Row, fields, broken);
            broken = false;
        }
    }

    // UTF-8 when every byte sequence is valid UTF-8 (or the file starts with a UTF-8 BOM); Windows-1252 otherwise.
    private static Encoding DetectEncoding(string path, out bool binary)
    {
        binary = false;
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        var carry = 0;
        var first = true;
        var valid = true;
        var sawNewline = false;
        int read;
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            var length = carry + read;
            var span = buffer.AsSpan(0, length);
            if (first)
            {
                first = false;
                if (span.StartsWith("\xEF\xBB\xBF"u8))
                    return new UTF8Encoding(false);
            }
            if (!sawNewline)
            {
                var nl = span.IndexOf((byte)'\n');
                var head = nl < 0 ? span : span[..nl];
                if (head.Contains((byte)0))
                {
                    binary = true;
                    return Encoding.UTF8;
                }
                sawNewline = nl >= 0;
            }
            // Keep an incomplete sequence at the end for the next read.
            var keep = 0;
            for (var i = Math.Max(0, length - 3); i < length; i++)
            {
                var b = buffer[i];
                if (b >= 0xC0)
                {
                    var need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                    if (i + need > length)
                        keep = length - i;
                }
            }
            if (!Utf8.IsValid(span[..(length - keep)]))
            {
                valid = false;
                break;
            }
            buffer.AsSpan(length - keep, keep).CopyTo(buffer);
            carry = keep;
        }
        if (valid && carry > 0 && !Utf8.IsValid(buffer.AsSpan(0, carry)))
            valid = false;
        return valid ? new UTF8Encoding(false) : Encoding.GetEncoding(1252);
    }

    private static string? ReadFirstLine(StreamReader reader, int max)
    {
        var sb = new StringBuilder();
        int c;
        while ((c = reader.Read()) >= 0 && c != '\n' && sb.Length < max)
            sb.Append((char)c);
        return sb.ToString().TrimEnd('\r');
    }

    private static char DetectDelimiter(string header)
    {
        var counts = new Dictionary<char, int> { [','] = 0, [';'] = 0, ['\t'] = 0 };
        var quoted = false;
        foreach (var c in header)
        {
            if (c == '"')
                quoted = !quoted;
            else if (!quoted && counts.TryGetValue(c, out var n))
                counts[c] = n + 1;
        }
        var best = counts.MaxBy(kv => kv.Value);
        return best.Value == 0 ? ',' : best.Key;
    }
}
