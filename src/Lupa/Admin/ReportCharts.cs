using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Lupa.Tracking;

namespace Lupa.Admin;

/// <summary>One bar or column of a chart: what people did and what machines did.</summary>
public sealed record ChartBar(string Label, long Human, long Machine);

/// <summary>
/// The campaign report's charts as inline SVG, written here by hand: no script, no library, nothing fetched. Each
/// chart has a title for screen readers, and the page shows the same numbers in a table beside it.
/// </summary>
public static class ReportCharts
{
    private const string HumanColour = "#2563eb";
    private const string MachineColour = "#cbd5e1";
    private const string Ink = "#1f2937";
    private const string Grid = "#e5e7eb";

    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    /// <summary>Horizontal bars, people and machines stacked, each labelled with its numbers.</summary>
    public static string Bars(string id, string title, IReadOnlyList<ChartBar> bars)
    {
        const int width = 760, labelWidth = 250, valueWidth = 110, row = 30, bar = 18;
        var height = Math.Max(1, bars.Count) * row + 10;
        var max = Math.Max(1, bars.Max(b => (long?)(b.Human + b.Machine)) ?? 1);
        var plot = width - labelWidth - valueWidth;
        var svg = Start(id, title, width, height);
        for (var i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            var y = 5 + i * row;
            var human = plot * (double)b.Human / max;
            var machine = plot * (double)b.Machine / max;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 8}\" y=\"{y + bar - 4}\" text-anchor=\"end\" font-size=\"13\" fill=\"{Ink}\">{Encode(Shorten(b.Label, 36))}<title>{Encode(b.Label)}</title></text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y}\" width=\"{plot}\" height=\"{bar}\" fill=\"#f8fafc\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"human\" x=\"{labelWidth}\" y=\"{y}\" width=\"{N(human)}\" height=\"{bar}\" fill=\"{HumanColour}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"machine\" x=\"{N(labelWidth + human)}\" y=\"{y}\" width=\"{N(machine)}\" height=\"{bar}\" fill=\"{MachineColour}\"/>");
            var value = b.Machine > 0 ? $"{b.Human:N0} + {b.Machine:N0}" : $"{b.Human:N0}";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + plot + 8}\" y=\"{y + bar - 4}\" font-size=\"13\" fill=\"{Ink}\">{value}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Columns over time, people and machines stacked, with the largest value and some time labels on the axes.</summary>
    public static string Columns(string id, string title, IReadOnlyList<ChartBar> columns)
    {
        const int width = 760, height = 220, left = 46, right = 10, top = 12, bottom = 34;
        var plotWidth = width - left - right;
        var plotHeight = height - top - bottom;
        var max = Math.Max(1, columns.Max(c => (long?)(c.Human + c.Machine)) ?? 1);
        var svg = Start(id, title, width, height);
        foreach (var f in new[] { 0.0, 0.5, 1.0 })
        {
            var y = top + plotHeight * (1 - f);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"{Grid}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{N(y + 4)}\" text-anchor=\"end\" font-size=\"11\" fill=\"{Ink}\">{Math.Round(max * f):N0}</text>");
        }
        if (columns.Count > 0)
        {
            var step = (double)plotWidth / columns.Count;
            var gap = step > 6 ? Math.Min(4, step * 0.2) : 0;
            var labelEvery = Math.Max(1, (int)Math.Ceiling(columns.Count / 8.0));
            for (var i = 0; i < columns.Count; i++)
            {
                var c = columns[i];
                var x = left + i * step + gap / 2;
                var human = plotHeight * (double)c.Human / max;
                var machine = plotHeight * (double)c.Machine / max;
                var tip = $"{c.Label}: {c.Human:N0} by people, {c.Machine:N0} by machines";
                svg.Append(CultureInfo.InvariantCulture, $"<g><title>{Encode(tip)}</title>");
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"human\" x=\"{N(x)}\" y=\"{N(top + plotHeight - human)}\" width=\"{N(step - gap)}\" height=\"{N(human)}\" fill=\"{HumanColour}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"machine\" x=\"{N(x)}\" y=\"{N(top + plotHeight - human - machine)}\" width=\"{N(step - gap)}\" height=\"{N(machine)}\" fill=\"{MachineColour}\"/></g>");
                if (i % labelEvery == 0)
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x + (step - gap) / 2)}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{Ink}\">{Encode(c.Label)}</text>");
            }
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{top + plotHeight}\" y2=\"{top + plotHeight}\" stroke=\"{Ink}\"/>");
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The legend the charts share.</summary>
    public static string Legend() =>
        $"<span class=\"legend\"><span class=\"swatch\" style=\"background:{HumanColour}\"></span>people <span class=\"swatch\" style=\"background:{MachineColour}\"></span>machines (prefetch, scanners)</span>";

    /// <summary>
    /// The report's hours as chart columns from the first to the last, empty hours included; over a week, by day.
    /// <paramref name="pick"/> chooses opens or clicks.
    /// </summary>
    public static IReadOnlyList<ChartBar> OverTime(IReadOnlyList<HourCounts> hours, Func<HourCounts, (long Human, long Machine)> pick)
    {
        if (hours.Count == 0)
            return [];
        var first = hours[0].Hour;
        var last = hours[^1].Hour;
        var byDay = (last - first).TotalHours >= 168;
        var step = byDay ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var start = byDay ? new DateTimeOffset(first.UtcDateTime.Date, TimeSpan.Zero) : first;
        var sums = new SortedDictionary<DateTimeOffset, (long Human, long Machine)>();
        for (var t = start; t <= last; t += step)
            sums[t] = (0, 0);
        foreach (var h in hours)
        {
            var key = byDay ? new DateTimeOffset(h.Hour.UtcDateTime.Date, TimeSpan.Zero) : h.Hour;
            var (human, machine) = pick(h);
            var s = sums[key];
            sums[key] = (s.Human + human, s.Machine + machine);
        }
        return sums.Select(s => new ChartBar(s.Key.ToString(byDay ? "d.M." : "d.M. HH:00", CultureInfo.InvariantCulture), s.Value.Human, s.Value.Machine)).ToList();
    }

    private static StringBuilder Start(string id, string title, int width, int height) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title\" viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui, sans-serif\"><title id=\"{id}-title\">{Encode(title)}</title>");

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Encode(string s) => Encoder.Encode(s);

    private static string N(double v) => Math.Round(Math.Max(0, v), 1).ToString(CultureInfo.InvariantCulture);
}
