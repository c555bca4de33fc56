using System.Text;
using Lupa.Mail;
using MimeKit.Encodings;

namespace Lupa.Domain.Tests.Mail;

public sealed class QuotedPrintableTests
{
    private static string Encode(string text) => Encoding.ASCII.GetString(Encode(Encoding.UTF8.GetBytes(text)));

    private static byte[] Encode(byte[] input)
    {
        var output = new byte[QuotedPrintable.MaxEncodedLength(input.Length)];
        return output[..QuotedPrintable.Encode(input, output)];
    }

    private static byte[] Decode(byte[] encoded)
    {
        var decoder = new QuotedPrintableDecoder();
        var output = new byte[decoder.EstimateOutputLength(encoded.Length)];
        return output[..decoder.Decode(encoded, 0, encoded.Length, output)];
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("plain", "plain")]
    [InlineData("a=b", "a=3Db")]
    [InlineData("Repair café", "Repair caf=C3=A9")]
    [InlineData("line one\nline two\n", "line one\r\nline two\r\n")]
    [InlineData("crlf\r\nkept\r\n", "crlf\r\nkept\r\n")]
    [InlineData("trailing space \nand tab\t", "trailing space=20\r\nand tab=09")]
    [InlineData("bare\rreturn", "bare=0Dreturn")]
    [InlineData("nul\0", "nul=00")]
    public void Encodes_as_rfc_2045_says(string text, string expected) => Assert.Equal(expected, Encode(text));

    [Fact]
    public void Long_lines_break_softly_at_76_characters()
    {
        var encoded = Encode(new string('x', 200) + "\n" + string.Concat(Enumerable.Repeat("ä", 60)));
        var lines = encoded.Split("\r\n");
        Assert.All(lines, l => Assert.True(l.Length <= 76, $"a line of {l.Length}: {l}"));
        Assert.Equal(76, lines[0].Length);
        Assert.EndsWith("=", lines[0]);
        // An escape is never split by a soft break.
        Assert.All(lines, l => Assert.DoesNotMatch("=[0-9A-F]?=$", l));
    }

    [Fact]
    public void Any_bytes_come_back_unchanged_through_mimekits_decoder()
    {
        var random = new Random(20261125);
        for (var round = 0; round < 500; round++)
        {
            var input = new byte[random.Next(0, 3000)];
            for (var i = 0; i < input.Length; i++)
            {
                // Mostly text, with line breaks, spaces before them, '=' and bytes of every value.
                input[i] = random.Next(10) switch
                {
                    0 => (byte)'\n',
                    1 => (byte)' ',
                    // (A CR just before an LF would read as a CRLF line break.)
                    2 => (byte)(random.Next(255) is var b and >= 13 ? b + 1 : random.Next(13)),
                    3 => (byte)'=',
                    _ => (byte)random.Next(33, 127),
                };
            }
            var encoded = Encode(input);
            Assert.All(encoded, b => Assert.True(b is (byte)'\r' or (byte)'\n' or (byte)'\t' or (>= 32 and < 127), $"byte {b} in the output"));
            Assert.All(Encoding.ASCII.GetString(encoded).Split("\r\n"), l =>
            {
                Assert.True(l.Length <= 76, $"a line of {l.Length}");
                Assert.False(l.EndsWith(' ') || l.EndsWith('\t'), "whitespace at the end of a line");
            });
            // The decoder gives CRLF line breaks back as the encoder wrote them; the input's were LF.
            Assert.Equal(Encoding.Latin1.GetString(input).Replace("\n", "\r\n", StringComparison.Ordinal), Encoding.Latin1.GetString(Decode(encoded)));
        }
    }
}
