using System.Text;
using System.Text.RegularExpressions;

namespace Lupa.Mail.Templates;

/// <summary>
/// Stands in for Liquid while Markdig or AngleSharp handle a template. Each <c>{{ … }}</c> and <c>{% … %}</c>
/// becomes an opaque lower-case token of letters and digits, which Markdown leaves alone, a URL needs no
/// escaping for, and an HTML parser cannot entity-encode or lower-case; <see cref="Restore"/> puts the Liquid back.
/// </summary>
internal sealed partial class LiquidPlaceholders
{
    /// <summary>One Liquid output or tag.</summary>
    [GeneratedRegex(@"\{\{.*?\}\}|\{%.*?%\}", RegexOptions.Singleline)]
    internal static partial Regex LiquidMarkup();

    /// <summary>Elements whose content an HTML parser reads as plain text, where a comment would not be one.</summary>
    private static readonly string[] RawTextElements = ["script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"];

    private readonly List<string> _originals = [];
    private readonly string _prefix;
    private readonly Regex _token;
    private readonly Regex _tagTokens;
    private readonly Regex _wholeToken;

    private LiquidPlaceholders(string prefix)
    {
        _prefix = prefix;
        // A token in text may come back as a comment (see ProtectHtml), one between a tag's attributes as an
        // empty attribute.
        _token = new Regex($"<!--{prefix}([ot])(\\d+)z-->|{prefix}([ot])(\\d+)z(?:=\"\")?", RegexOptions.CultureInvariant);
        _tagTokens = new Regex($"^(?:\\s*{prefix}t\\d+z)+\\s*$", RegexOptions.CultureInvariant);
        _wholeToken = new Regex($"^{prefix}([ot])\\d+z$", RegexOptions.CultureInvariant);
    }

    /// <summary>Placeholders whose tokens cannot occur in <paramref name="source"/>.</summary>
    internal static LiquidPlaceholders For(string source)
    {
        var prefix = "lupaliquid";
        while (source.Contains(prefix, StringComparison.OrdinalIgnoreCase))
            prefix += "x";
        return new LiquidPlaceholders(prefix);
    }

    /// <summary>Replaces every Liquid output and tag with a token.</summary>
    internal string Protect(string source) =>
        LiquidMarkup().Replace(source, m =>
        {
            _originals.Add(m.Value);
            var kind = m.Value[1] == '%' ? 't' : 'o';
            return $"{_prefix}{kind}{_originals.Count - 1}z";
        });

    /// <summary>
    /// Like <see cref="Protect"/>, for HTML: a token in text becomes an HTML comment, because text inside a
    /// table but outside a cell is moved in front of the table by an HTML parser, and comments are not. Inside a
    /// tag (an attribute) or in an element read as raw text the token stays bare.
    /// </summary>
    internal string ProtectHtml(string html)
    {
        var source = Protect(html);
        var result = new StringBuilder(source.Length + (_originals.Count * 7));
        var i = 0;
        while (i < source.Length)
        {
            if (source.AsSpan(i).StartsWith("<!--"))
            {
                var end = source.IndexOf("-->", i + 4, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 3;
                result.Append(source, i, end - i);
                i = end;
            }
            else if (source[i] == '<' && i + 1 < source.Length && (char.IsAsciiLetter(source[i + 1]) || source[i + 1] is '/' or '!' or '?'))
            {
                var end = EndOfTag(source, i);
                var rawText = RawTextElement(source, i);
                if (rawText is not null)
                {
                    var close = source.IndexOf("</" + rawText, end, StringComparison.OrdinalIgnoreCase);
                    end = close < 0 ? source.Length : close;
                }
                result.Append(source, i, end - i);
                i = end;
            }
            else if (source.AsSpan(i).StartsWith(_prefix))
            {
                var end = source.IndexOf('z', i + _prefix.Length) + 1;
                result.Append("<!--").Append(source, i, end - i).Append("-->");
                i = end;
            }
            else
            {
                result.Append(source[i]);
                i++;
            }
        }
        return result.ToString();
    }

    /// <summary>Puts the Liquid back in place of every token.</summary>
    internal string Restore(string text) =>
        _token.Replace(text, m => _originals[int.Parse(m.Groups[2].Success ? m.Groups[2].Value : m.Groups[4].Value)]);

    /// <summary>'o' when <paramref name="text"/> is one token for Liquid output (<c>{{ … }}</c>), 't' for a tag (<c>{% … %}</c>), otherwise null.</summary>
    internal char? TokenKind(string text) =>
        _wholeToken.Match(text) is { Success: true } m ? m.Groups[1].Value[0] : null;

    /// <summary>How many tokens for Liquid output <paramref name="text"/> holds, and how long they are together.</summary>
    internal (int Count, int Length) TokenCount(string text)
    {
        var (count, length) = (0, 0);
        foreach (Match m in _token.Matches(text))
        {
            var output = (m.Groups[1].Success ? m.Groups[1] : m.Groups[3]).Value == "o";
            count += output ? 1 : 0;
            length += m.Length;
        }
        return (count, length);
    }

    /// <summary>True when <paramref name="text"/> is only tokens for Liquid tags and white space.</summary>
    internal bool IsOnlyTagTokens(string text) => _tagTokens.IsMatch(text);

    private static int EndOfTag(string source, int start)
    {
        // A quote opens an attribute value only right after '=', as in an HTML parser.
        var quote = '\0';
        var previous = '\0';
        for (var i = start + 1; i < source.Length; i++)
        {
            var c = source[i];
            if (quote != '\0')
            {
                if (c == quote)
                    quote = '\0';
            }
            else if (c is '"' or '\'' && previous == '=')
                quote = c;
            else if (c == '>')
                return i + 1;
            if (!char.IsWhiteSpace(c))
                previous = c;
        }
        return source.Length;
    }

    private static string? RawTextElement(string source, int start)
    {
        foreach (var name in RawTextElements)
        {
            var after = start + 1 + name.Length;
            if (after < source.Length
                && string.Compare(source, start + 1, name, 0, name.Length, StringComparison.OrdinalIgnoreCase) == 0
                && !char.IsAsciiLetterOrDigit(source[after]))
                return name;
        }
        return null;
    }
}
