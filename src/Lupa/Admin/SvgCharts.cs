using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace Lupa.Admin;

/// <summary>A series of a bar chart: its name, colour (#rrggbb) and one value per category.</summary>
public sealed record ChartSeries(string Name, string Colour, IReadOnlyList<long> Values);

/// <summary>
/// Bar charts as inline SVG written on the server: no script, no library, nothing fetched. Every text is
/// encoded; each bar carries a title that browsers show on hover, and the figure a title for screen readers.
/// </summary>
public static class SvgCharts
{
    private const int Width = 760;
    private const int Height = 260;
    private const int Left = 48, Right = 8, Top = 14, Bottom = 40;

    /// <summary>Bars grouped per category (a week), one per series, with a value axis and a legend.</summary>
    public static IHtmlContent GroupedBars(string id, string title, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series)
    {
        var max = Math.Max(1, series.SelectMany(s => s.Values).DefaultIfEmpty(0).Max());
        var (step, top) = Axis(max);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var svg = Open(id, title, Width, Height + 24);
        foreach (var tick in Enumerable.Range(0, (int)(top / step) + 1).Select(i => i * step))
        {
            var y = Top + plotH - tick * plotH / (double)top;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#e3e7ec\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" class=\"axis\">{tick:N0}</text>");
        }
        var slot = plotW / (double)Math.Max(1, categories.Count);
        var bar = Math.Max(1, (slot * 0.8) / Math.Max(1, series.Count));
        var every = Math.Max(1, (int)Math.Ceiling(categories.Count / 12.0));
        for (var c = 0; c < categories.Count; c++)
        {
            var x0 = Left + c * slot + slot * 0.1;
            for (var s = 0; s < series.Count; s++)
            {
                var v = c < series[s].Values.Count ? series[s].Values[c] : 0;
                var h = v * plotH / (double)top;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{x0 + s * bar:0.##}\" y=\"{Top + plotH - h:0.##}\" width=\"{Math.Max(0.5, bar - 1):0.##}\" height=\"{h:0.##}\" fill=\"{Colour(series[s].Colour)}\">");
                svg.Append(CultureInfo.InvariantCulture, $"<title>{Text(categories[c])}: {v:N0} {Text(series[s].Name.ToLowerInvariant())}</title></rect>");
            }
            if (c % every == 0)
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + c * slot + slot / 2:0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\" class=\"axis\">{Text(categories[c])}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + plotH}\" y2=\"{Top + plotH}\" stroke=\"#8a94a3\"/>");
        var lx = (double)Left;
        foreach (var s in series)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx:0.#}\" y=\"{Height + 6}\" width=\"12\" height=\"12\" fill=\"{Colour(s.Colour)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 17:0.#}\" y=\"{Height + 16}\" class=\"legend\">{Text(s.Name)}</text>");
            lx += 30 + s.Name.Length * 7.2;
        }
        return Close(svg);
    }

    /// <summary>One horizontal bar per label, its value written after it.</summary>
    public static IHtmlContent HorizontalBars(string id, string title, IReadOnlyList<(string Label, long Value)> rows, string colour)
    {
        const int row = 26, labelW = 230;
        var height = Math.Max(1, rows.Count) * row + 8;
        var max = Math.Max(1, rows.Select(r => r.Value).DefaultIfEmpty(0).Max());
        var plotW = Width - labelW - 70;
        var svg = Open(id, title, Width, height);
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, value) = rows[i];
            var y = 4 + i * row;
            var w = value * plotW / (double)max;
            var shown = label.Length > 34 ? label[..33] + "…" : label;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelW - 8}\" y=\"{y + 16}\" text-anchor=\"end\" class=\"label\">{Text(shown)}<title>{Text(label)}</title></text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelW}\" y=\"{y + 3}\" width=\"{Math.Max(1, w):0.##}\" height=\"{row - 8}\" fill=\"{Colour(colour)}\"><title>{Text(label)}: {value:N0}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelW + Math.Max(1, w) + 6:0.##}\" y=\"{y + 16}\" class=\"value\">{value:N0}</text>");
        }
        return Close(svg);
    }

    // A round top for the value axis with at most five steps of 1, 2 or 5 times a power of ten.
    internal static (long Step, long Top) Axis(long max)
    {
        long step = 1;
        while (true)
        {
            foreach (var m in new long[] { 1, 2, 5 })
            {
                if (step * m * 5 >= max)
                    return (step * m, (long)Math.Ceiling(max / (double)(step * m)) * step * m);
            }
            step *= 10;
        }
    }

    private static StringBuilder Open(string id, string title, int width, int height)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg id=\"{Text(id)}\" class=\"chart\" role=\"img\" aria-labelledby=\"{Text(id)}-title\" viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{Text(id)}-title\">{Text(title)}</title>");
        return svg;
    }

    private static HtmlString Close(StringBuilder svg) => new(svg.Append("</svg>").ToString());

    private static string Text(string s) => WebUtility.HtmlEncode(s);

    // Only a #rrggbb colour reaches the markup.
    private static string Colour(string c) =>
        c.Length == 7 && c[0] == '#' && !c.AsSpan(1).ContainsAnyExcept(HexDigits) ? c : "#888888";

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
}
