using System.Globalization;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;

namespace Lupa.Admin;

/// <summary>How the breach pages show a breach's 72-hour clock and times.</summary>
public static class BreachView
{
    /// <summary>The CSS class of a clock state: clock-running, clock-due_soon, clock-overdue, clock-notified, …</summary>
    public static string Class(BreachClockState state) => "clock-" + BreachClock.Name(state);

    /// <summary>The clock in words: "61 h 30 min left", "5 h 2 min overdue", "notified on time", "notified late", "not required".</summary>
    public static string Words(BreachRow b, BreachService s) => s.State(b) switch
    {
        BreachClockState.Notified => "notified on time",
        BreachClockState.NotifiedLate => "notified late",
        BreachClockState.NotRequired => "notification not required",
        _ => BreachClock.Words(s.Left(b)),
    };

    /// <summary>The authority status as people read it.</summary>
    public static string Status(string status) => status switch
    {
        AuthorityStatuses.Notified => "notified",
        AuthorityStatuses.NotRequired => "not required",
        _ => "not yet notified",
    };

    /// <summary>A stored time in the privacy time zone, "2026-03-02 10:00".</summary>
    public static string Local(long ms, BreachService s) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), s.Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A time for a datetime-local input, in the privacy time zone.</summary>
    public static string Input(DateTimeOffset at, BreachService s) =>
        TimeZoneInfo.ConvertTime(at, s.Zone).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The deadline as an ISO UTC instant, for the page's countdown script.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A draft of the notice in a language from the breach's facts, for the officer to finish (and translate).</summary>
    public static string Draft(BreachRow b, string language)
    {
        var fi = language == "fi";
        var parts = new List<string>();
        if (b.Nature.Length > 0)
            parts.Add((fi ? "Mitä tapahtui: " : "What happened: ") + b.Nature);
        if (b.Consequences.Length > 0)
            parts.Add((fi ? "Mitä siitä voi seurata: " : "What this may mean for you: ") + b.Consequences);
        if (b.Measures.Length > 0)
            parts.Add((fi ? "Mitä olemme tehneet: " : "What we have done: ") + b.Measures);
        parts.Add(fi ? "Mitä voit tehdä: " : "What you can do: ");
        return string.Join("\n\n", parts);
    }
}
