using System.Text;
using Lupa.Mail;

namespace Lupa.Domain.Tests.Mail;

public sealed class TextLinesTests
{
    private static string Lines(string text, bool endEndsLine)
    {
        var result = new StringBuilder();
        var lines = new TextLines(Encoding.ASCII.GetBytes(text), endEndsLine);
        while (lines.MoveNext())
            result.Append('[').Append(Encoding.ASCII.GetString(lines.Current)).Append(lines.Ended ? "]" : ")");
        return result.ToString().Replace("\r", "\\r", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", false, "")]
    [InlineData("a", false, "[a)")]
    [InlineData("a\n", false, "[a]")]
    [InlineData("a\r\nb", false, "[a][b)")]
    [InlineData("\n\nb\r", false, "[][][b\\r)")]
    [InlineData("a\rb\n", false, "[a\\rb]")]
    [InlineData("a", true, "[a]")]
    [InlineData("a\r", true, "[a]")]
    [InlineData("a\r\n\r\n", true, "[a][]")]
    public void Splits_at_lf_and_crlf(string text, bool endEndsLine, string expected) =>
        Assert.Equal(expected, Lines(text, endEndsLine));
}
