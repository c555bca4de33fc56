using Lupa.Domain;
using Lupa.Domain.Imports;

namespace Lupa.Imports;

/// <summary>
/// One CSV record after the row rules: the row to apply, or the outcome it already ended in (a
/// refusal, or a duplicate of an earlier address), with the address as the report shows it.
/// </summary>
public readonly record struct ParsedRecord(long Line, ImportRow? Row, string? Outcome, string? Reason, string Email);

/// <summary>
/// The parsed records of an import, kept in a compact binary file next to the upload between the
/// purchased-list check and the apply phase, so the CSV is parsed (and its rows checked) once.
/// The file is written under a temporary name and renamed when complete: a file that exists is whole.
/// It holds the same personal data as the upload and is deleted with it.
/// </summary>
public static class ImportRowFile
{
    private const int Version = 1;

    /// <summary>Where the parsed records of an upload are kept.</summary>
    public static string PathFor(string uploadPath) => uploadPath + ".rows";

    /// <summary>Writes the records as they pass, and makes the file visible only when all were written.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly string _path;
        private readonly string _temp;
        private readonly BinaryWriter _w;
        private bool _done;

        /// <summary>Starts the file of an upload.</summary>
        public Writer(string uploadPath)
        {
            _path = PathFor(uploadPath);
            _temp = _path + ".tmp";
            _w = new BinaryWriter(new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16));
            _w.Write(Version);
        }

        /// <summary>Appends one record.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void Add(in ParsedRecord r)
        {
            _w.Write(r.Line);
            _w.Write(r.Email);
            if (r.Row is not { } row)
            {
                _w.Write((byte)0);
                _w.Write(r.Outcome!);
                _w.Write(r.Reason!);
                return;
            }
            _w.Write((byte)1);
            _w.Write(row.Line);
            _w.Write(row.Address.LocalPart);
            _w.Write(row.Address.Domain);
            _w.Write(row.Name);
            _w.Write(row.Attributes.Count);
            foreach (var (k, v) in row.Attributes)
            {
                _w.Write(k);
                _w.Write(v);
            }
            _w.Write((byte)row.Basis);
            WriteTime(row.ConsentAt);
            WriteText(row.Method);
            WriteText(row.Source);
            WriteText(row.Ip);
            WriteText(row.Text);
            WriteTime(row.CustomerSince);
        }

        /// <summary>Closes the file and makes it visible under its final name.</summary>
        public void Complete()
        {
            _w.Write(long.MinValue);
            _w.Dispose();
            File.Move(_temp, _path, overwrite: true);
            _done = true;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (_done)
                return;
            _w.Dispose();
            File.Delete(_temp);
        }

        private void WriteTime(DateTimeOffset? t)
        {
            _w.Write(t is null ? long.MinValue : t.Value.UtcTicks);
        }

        private void WriteText(string? s)
        {
            _w.Write(s is not null);
            if (s is not null)
                _w.Write(s);
        }
    }

    /// <summary>The records of a complete file, in order; null when there is none (or it is of another version).</summary>
    public static IEnumerable<ParsedRecord>? TryRead(string uploadPath)
    {
        var path = PathFor(uploadPath);
        if (!File.Exists(path))
            return null;
        using (var probe = new BinaryReader(File.OpenRead(path)))
        {
            if (probe.BaseStream.Length < 4 || probe.ReadInt32() != Version)
                return null;
        }
        return Read(path);
    }

    private static IEnumerable<ParsedRecord> Read(string path)
    {
        using var r = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
        r.ReadInt32();
        while (true)
        {
            var line = r.ReadInt64();
            if (line == long.MinValue)
                yield break;
            yield return ReadOne(r, line);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static ParsedRecord ReadOne(BinaryReader r, long line)
    {
        var email = r.ReadString();
        if (r.ReadByte() == 0)
            return new ParsedRecord(line, null, r.ReadString(), r.ReadString(), email);
        var rowLine = r.ReadInt64();
        var local = r.ReadString();
        var domain = r.ReadString();
        var name = r.ReadString();
        var n = r.ReadInt32();
        var attributes = new Dictionary<string, string>(n);
        for (var i = 0; i < n; i++)
            attributes[r.ReadString()] = r.ReadString();
        var basis = (ImportBasis)r.ReadByte();
        var consentAt = ReadTime(r);
        var method = ReadText(r);
        var source = ReadText(r);
        var ip = ReadText(r);
        var text = ReadText(r);
        var since = ReadTime(r);
        var address = EmailAddress.FromNormalised(local, domain);
        return new ParsedRecord(line, new ImportRow(rowLine, address, name, attributes, basis, consentAt, method, source, ip, text, since), null, null, email);
    }

    private static DateTimeOffset? ReadTime(BinaryReader r)
    {
        var ticks = r.ReadInt64();
        return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static string? ReadText(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>Deletes the parsed records of an upload, complete or not.</summary>
    public static void Delete(string uploadPath)
    {
        var path = PathFor(uploadPath);
        File.Delete(path);
        File.Delete(path + ".tmp");
    }
}
