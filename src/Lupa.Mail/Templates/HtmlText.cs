using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Lupa.Mail.Templates;

/// <summary>
/// Turns a body's HTML (with Liquid in it) into readable plain text once, at compile time: paragraphs and
/// headings on their own lines, list items with markers, links as "text (url)". Liquid survives as it was.
/// </summary>
internal static partial class HtmlText
{
    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();

    /// <summary>The plain text of <paramref name="html"/>.</summary>
    internal static string From(string html)
    {
        var placeholders = LiquidPlaceholders.For(html);
        var document = new HtmlParser().ParseDocument(placeholders.ProtectHtml(html));
        var writer = new Writer(placeholders);
        writer.Children(document.Body!);
        return placeholders.Restore(writer.ToString());
    }

    private sealed class Writer(LiquidPlaceholders placeholders)
    {
        private readonly StringBuilder _text = new();
        private bool _hasWords;
        private readonly List<string> _prefixes = [];
        private int _pendingBreaks;
        private bool _pendingSpace;
        private bool _atLineStart = true;
        private int _preformatted;

        public override string ToString()
        {
            var lines = _text.ToString().Split('\n').Select(l => l.TrimEnd());
            return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim('\n');
        }

        public void Children(INode node)
        {
            foreach (var child in node.ChildNodes)
                Node(child);
        }

        private void Node(INode node)
        {
            switch (node)
            {
                case IText text when _preformatted > 0:
                    Preformatted(text.Data);
                    break;
                case IText text:
                    Words(text.Data);
                    break;
                case IComment comment:
                    // A Liquid tag is written where it stands, before pending line breaks, so that a block it
                    // leaves out takes its blank lines with it.
                    switch (placeholders.TokenKind(comment.Data))
                    {
                        case 't':
                            Tag(comment.Data);
                            break;
                        case 'o':
                            Words(comment.Data);
                            break;
                    }
                    break;
                case IElement element:
                    Element(element);
                    break;
            }
        }

        private void Element(IElement element)
        {
            switch (element.LocalName)
            {
                case "script" or "style" or "head" or "title" or "template":
                    return;
                case "br":
                    if (_hasWords)
                        _pendingBreaks++;
                    _pendingSpace = false;
                    return;
                case "hr":
                    Block(2);
                    Words("----------");
                    Block(2);
                    return;
                case "img":
                    Words(element.GetAttribute("alt") ?? "");
                    return;
                case "a":
                    Link(element);
                    return;
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    Heading(element);
                    return;
                case "ul" or "ol":
                    List(element);
                    return;
                case "blockquote":
                    Block(2);
                    Indented("> ", element);
                    Block(2);
                    return;
                case "pre":
                    Block(2);
                    _preformatted++;
                    Children(element);
                    _preformatted--;
                    Block(2);
                    return;
                case "table":
                    Block(2);
                    Children(element);
                    Block(2);
                    return;
                case "tr":
                    Block(1);
                    Row(element);
                    Block(1);
                    return;
                case "p" or "div" or "section" or "article" or "header" or "footer" or "main" or "address"
                    or "center" or "figure" or "figcaption" or "dl" or "dt" or "dd" or "li" or "td" or "th":
                    Block(element.LocalName is "p" ? 2 : 1);
                    Children(element);
                    Block(element.LocalName is "p" ? 2 : 1);
                    return;
                default:
                    Children(element);
                    return;
            }
        }

        private void Link(IElement link)
        {
            var start = _text.Length;
            Children(link);
            var label = _text.ToString(start, _text.Length - start).Trim();
            var href = (link.GetAttribute("href") ?? "").Trim();
            if (href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
                href = href["mailto:".Length..];
            if (href.Length == 0 || href[0] == '#' || href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase)
                || href == label || href == "http://" + label || href == "https://" + label)
                return;
            Words(label.Length == 0 ? href : $" ({href})");
        }

        private void Heading(IElement heading)
        {
            Block(2);
            var start = _text.Length;
            Children(heading);
            var underline = heading.LocalName switch { "h1" => '=', "h2" => '-', _ => '\0' };
            if (underline != '\0')
            {
                // What Liquid writes is unknown here; a value is guessed at eight characters, as the line only
                // has to look like an underline.
                var written = _text.ToString(start, _text.Length - start);
                var tokens = placeholders.TokenCount(written);
                var shown = written.Length - tokens.Length + (8 * tokens.Count);
                Block(1);
                Words(new string(underline, Math.Clamp(shown, 3, 60)));
            }
            Block(2);
        }

        private void List(IElement list)
        {
            Block(_prefixes.Count == 0 ? 2 : 1);
            var number = 1;
            foreach (var child in list.ChildNodes)
            {
                if (child is IElement { LocalName: "li" } item)
                {
                    var marker = list.LocalName == "ol" ? $"{number++}. " : "- ";
                    Block(1);
                    Flush();
                    _text.Append(marker);
                    Indented(new string(' ', marker.Length), item);
                    Block(1);
                }
                else
                {
                    Node(child);
                }
            }
            Block(_prefixes.Count == 0 ? 2 : 1);
        }

        private void Row(IElement row)
        {
            // A table with header cells holds data, whose cells read well on one line; other tables only
            // arrange the layout, and their cells are blocks of their own.
            var data = row.Closest("table")?.QuerySelector("th") is not null;
            var first = true;
            foreach (var child in row.ChildNodes)
            {
                if (data && child is IElement { LocalName: "td" or "th" } cell)
                {
                    if (!first)
                        Words(" | ");
                    first = false;
                    Children(cell);
                }
                else
                {
                    Node(child);
                }
            }
        }

        private void Indented(string prefix, IElement element)
        {
            _prefixes.Add(prefix);
            Children(element);
            _prefixes.RemoveAt(_prefixes.Count - 1);
        }

        private void Block(int breaks)
        {
            if (_hasWords)
                _pendingBreaks = Math.Max(_pendingBreaks, breaks);
            _pendingSpace = false;
        }

        private void Words(string text)
        {
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    _pendingSpace = !_atLineStart && _pendingBreaks == 0;
                    continue;
                }
                Flush();
                _text.Append(c);
            }
        }

        private void Preformatted(string text)
        {
            foreach (var c in text)
            {
                if (c == '\n')
                {
                    _pendingBreaks++;
                    continue;
                }
                Flush();
                _text.Append(c);
            }
        }

        private void Tag(string token)
        {
            if (_pendingBreaks == 0 && _pendingSpace)
                _text.Append(' ');
            _pendingSpace = false;
            _text.Append(token);
        }

        private void Flush()
        {
            _hasWords = true;
            if (_pendingBreaks > 0)
            {
                _text.Append('\n', _pendingBreaks);
                _pendingBreaks = 0;
                _atLineStart = true;
            }
            if (_atLineStart)
            {
                foreach (var prefix in _prefixes)
                    _text.Append(prefix);
                _atLineStart = false;
            }
            else if (_pendingSpace)
            {
                _text.Append(' ');
            }
            _pendingSpace = false;
        }
    }
}
