using System.Buffers;
using System.Security.Cryptography;

namespace Lupa.Mail.Dkim;

/// <summary>
/// DKIM's "relaxed" canonicalisation (RFC 6376, 3.4.2 and 3.4.4) over message bytes, for messages
/// Lupa writes itself: the body hash and the canonical form of header fields, without MimeKit's
/// stream filters.
/// </summary>
public static class RelaxedCanonicalization
{
    /// <summary>
    /// The SHA-256 of the relaxed canonical body: whitespace at the end of each line removed, every run
    /// of spaces and tabs within a line made one space, empty lines at the end removed, and the last
    /// line ended with CRLF. Lines end with CRLF (a bare LF is taken as a line end too).
    /// </summary>
    public static byte[] BodyHash(ReadOnlySpan<byte> body)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(body.Length * 2 + 2);
        try
        {
            var n = CanonicalBody(body, buffer);
            return SHA256.HashData(buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes the relaxed canonical body into <paramref name="output"/> and returns its length. The output
    /// needs room for twice the body's length + 2 (a bare LF becomes CRLF); for CRLF text, the length + 2.
    /// </summary>
    public static int CanonicalBody(ReadOnlySpan<byte> body, Span<byte> output)
    {
        var written = 0;
        var pendingEmptyLines = 0;
        foreach (var line in new TextLines(body, endEndsLine: true))
        {
            var start = written + pendingEmptyLines * 2;
            var n = CollapseBodyLine(line, output[start..]);
            if (n == 0)
            {
                pendingEmptyLines++;
                continue;
            }
            for (var i = 0; i < pendingEmptyLines; i++)
            {
                output[written++] = (byte)'\r';
                output[written++] = (byte)'\n';
            }
            pendingEmptyLines = 0;
            written += n;
            output[written++] = (byte)'\r';
            output[written++] = (byte)'\n';
        }
        return written;
    }

    /// <summary>
    /// Appends one header field in relaxed canonical form: the name lower-cased, unfolded, every run of
    /// whitespace made one space, none at the end of the value or around the colon, then CRLF unless
    /// <paramref name="lastField"/> (the DKIM-Signature field itself is hashed without it).
    /// </summary>
    /// <param name="field">The whole field as written, name, colon, value and folding, without its final CRLF.</param>
    /// <param name="output">Where the canonical field goes.</param>
    /// <param name="lastField">True for the signature's own field: no CRLF after it.</param>
    public static void AppendHeader(ReadOnlySpan<byte> field, IBufferWriter<byte> output, bool lastField = false)
    {
        var colon = field.IndexOf((byte)':');
        if (colon < 0)
            throw new ArgumentException("A header field has a colon after its name.", nameof(field));
        var name = field[..colon].TrimEnd(" \t"u8);
        var span = output.GetSpan(field.Length + 3);
        for (var i = 0; i < name.Length; i++)
            span[i] = (byte)(name[i] is >= (byte)'A' and <= (byte)'Z' ? name[i] + 32 : name[i]);
        span[name.Length] = (byte)':';
        var n = name.Length + 1 + CollapseHeaderValue(field[(colon + 1)..], span[(name.Length + 1)..]);
        if (!lastField)
        {
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
        }
        output.Advance(n);
    }

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t"u8);

    // A body line: every run of spaces and tabs becomes one space, and none is kept at the end. Runs of
    // text are found and copied a vector at a time: the body of a campaign is tens of kilobytes a message.
    private static int CollapseBodyLine(ReadOnlySpan<byte> line, Span<byte> output)
    {
        // Most lines (every quoted-printable one) have single spaces between words only: nothing to change.
        if (line.IndexOf("  "u8) < 0 && line.IndexOf((byte)'\t') < 0 && (line.IsEmpty || line[^1] != (byte)' '))
        {
            line.CopyTo(output);
            return line.Length;
        }
        var n = 0;
        while (true)
        {
            var space = line.IndexOfAny(Whitespace);
            if (space < 0)
            {
                line.CopyTo(output[n..]);
                return n + line.Length;
            }
            line[..space].CopyTo(output[n..]);
            n += space;
            var next = line[space..].IndexOfAnyExcept(Whitespace);
            if (next < 0)
                return n;
            output[n++] = (byte)' ';
            line = line[(space + next)..];
        }
    }

    // A header value: every run of spaces, tabs, CR and LF (unfolding) becomes one space; none is kept
    // at the start (after the colon) or at the end.
    private static int CollapseHeaderValue(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var n = 0;
        var inRun = false;
        foreach (var b in input)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                inRun = true;
                continue;
            }
            if (inRun && n > 0)
                output[n++] = (byte)' ';
            inRun = false;
            output[n++] = b;
        }
        return n;
    }
}
