using System.Buffers;

namespace Lupa.Mail;

/// <summary>
/// Quoted-printable (RFC 2045 section 6.7) for text bodies, written straight onto the wire: CRLF line ends,
/// lines of at most 76 characters. Runs of bytes that stand for themselves are found and copied a vector
/// at a time, so a body of mostly ASCII costs little more than a copy; MimeKit's encoder looks at every
/// byte on its own, and in a campaign send it was a tenth of the sender's CPU.
/// </summary>
public static class QuotedPrintable
{
    // Printable ASCII but '=', and space and tab (which must not end a line; see below).
    private static readonly SearchValues<byte> Literal = SearchValues.Create(
        [(byte)'\t', .. Enumerable.Range(32, 95).Where(b => b != '=').Select(b => (byte)b)]);

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    // At most 75 characters before the '=' of a soft line break.
    private const int MaxLine = 75;

    /// <summary>The most bytes <see cref="Encode"/> can write for an input of <paramref name="length"/> bytes.</summary>
    public static int MaxEncodedLength(int length) => length * 3 + (length * 3 / MaxLine + 1) * 3 + 2;

    /// <summary>
    /// Encodes text whose lines end with LF or CRLF; each line break becomes CRLF. Returns the bytes written.
    /// The last line keeps no line break when the input has none.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var o = 0;
        var lines = new TextLines(input);
        while (lines.MoveNext())
        {
            o = EncodeLine(lines.Current, output, o);
            if (lines.Ended)
            {
                output[o++] = (byte)'\r';
                output[o++] = (byte)'\n';
            }
        }
        return o;
    }

    private static int EncodeLine(ReadOnlySpan<byte> line, Span<byte> output, int o)
    {
        var column = 0;
        var i = 0;
        while (i < line.Length)
        {
            var run = line[i..].IndexOfAnyExcept(Literal);
            if (run < 0)
                run = line.Length - i;
            // Space or tab at the very end of a line would be lost in transport: it is encoded instead.
            if (i + run == line.Length && run > 0 && line[^1] is (byte)' ' or (byte)'\t')
                run--;
            while (run > 0)
            {
                if (column == MaxLine)
                {
                    o = SoftBreak(output, o);
                    column = 0;
                }
                var take = Math.Min(run, MaxLine - column);
                line.Slice(i, take).CopyTo(output[o..]);
                o += take;
                column += take;
                i += take;
                run -= take;
            }
            if (i == line.Length)
                break;
            if (column + 3 > MaxLine)
            {
                o = SoftBreak(output, o);
                column = 0;
            }
            var b = line[i++];
            output[o++] = (byte)'=';
            output[o++] = Hex[b >> 4];
            output[o++] = Hex[b & 0xF];
            column += 3;
        }
        return o;
    }

    private static int SoftBreak(Span<byte> output, int o)
    {
        output[o++] = (byte)'=';
        output[o++] = (byte)'\r';
        output[o++] = (byte)'\n';
        return o;
    }
}
