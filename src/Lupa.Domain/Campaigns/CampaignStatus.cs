namespace Lupa.Domain.Campaigns;

/// <summary>
/// Where a campaign is in its life. A draft may be edited; starting fixes the recipients and makes it
/// sending; sending and paused may be paused, resumed or cancelled; it ends sent or cancelled.
/// </summary>
public static class CampaignStatus
{
    public const string Draft = "draft";
    public const string Scheduled = "scheduled";
    public const string Sending = "sending";
    public const string Paused = "paused";
    public const string Sent = "sent";
    public const string Cancelled = "cancelled";

    /// <summary>Every status.</summary>
    public static readonly string[] All = [Draft, Scheduled, Sending, Paused, Sent, Cancelled];

    /// <summary>The actions a person can take on a campaign.</summary>
    public enum Action
    {
        Edit,
        Start,
        Schedule,
        Unschedule,
        Pause,
        Resume,
        Cancel,
    }

    /// <summary>The status an action leads to from <paramref name="status"/>, or a failure saying why it cannot be taken.</summary>
    public static Outcome<string> After(string status, Action action) => (status, action) switch
    {
        (Draft, Action.Edit) => Outcome<string>.Ok(Draft),
        (Draft or Scheduled, Action.Start) => Outcome<string>.Ok(Sending),
        (Draft or Scheduled, Action.Schedule) => Outcome<string>.Ok(Scheduled),
        (Scheduled, Action.Unschedule) => Outcome<string>.Ok(Draft),
        (Sending, Action.Pause) => Outcome<string>.Ok(Paused),
        (Paused, Action.Resume) => Outcome<string>.Ok(Sending),
        (Draft or Scheduled or Sending or Paused, Action.Cancel) => Outcome<string>.Ok(Cancelled),
        _ => Outcome<string>.Fail("campaign_state", Refusal(status, action)),
    };

    private static string Refusal(string status, Action action) => action switch
    {
        Action.Edit => $"A campaign can be changed only while it is a draft; this one is {status}.",
        Action.Resume => $"Only a paused campaign can be resumed; this one is {status}.",
        Action.Pause => $"Only a sending campaign can be paused; this one is {status}.",
        Action.Unschedule => $"Only a scheduled campaign can go back to draft; this one is {status}.",
        _ => $"A {status} campaign cannot be {Past(action)}.",
    };

    private static string Past(Action action) => action switch
    {
        Action.Start => "started",
        Action.Schedule => "scheduled",
        Action.Cancel => "cancelled",
        _ => action.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether recipients are still to be sent to (or may be again after a resume).</summary>
    public static bool IsOpen(string status) => status is Sending or Paused;

    /// <summary>
    /// Reads a scheduled time given as a local date and time in a named time zone (IANA, such as
    /// Europe/Helsinki), or as a date-time with an offset when no zone is given.
    /// </summary>
    public static Outcome<DateTimeOffset> ScheduledTime(string? at, string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(at))
            return Outcome<DateTimeOffset>.Fail("scheduled_at", "Give the time to send, such as 2026-12-01T09:00.");
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            return DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var withOffset)
                   && HasOffset(at)
                ? Outcome<DateTimeOffset>.Ok(withOffset)
                : Outcome<DateTimeOffset>.Fail("scheduled_at", "Without a time_zone the time must carry its offset, such as 2026-12-01T09:00+02:00.");
        }
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return Outcome<DateTimeOffset>.Fail("time_zone", $"'{timeZone}' is not a known time zone; use a name such as Europe/Helsinki.");
        }
        if (HasOffset(at) || !DateTime.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var local))
            return Outcome<DateTimeOffset>.Fail("scheduled_at", "With a time_zone give a local date and time without offset, such as 2026-12-01T09:00.");
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
            return Outcome<DateTimeOffset>.Fail("scheduled_at", $"{at} does not exist in {zone.Id}: the clocks skip it.");
        // An ambiguous time (the hour the clocks turn back) is read as the earlier one, the standard offset being the later.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return Outcome<DateTimeOffset>.Ok(new DateTimeOffset(local, offset));
    }

    private static bool HasOffset(string at)
    {
        var t = at.IndexOf('T', StringComparison.Ordinal);
        if (t < 0)
            t = at.IndexOf(' ', StringComparison.Ordinal);
        if (t < 0)
            return false;
        var time = at[t..];
        return time.EndsWith('Z') || time.EndsWith('z') || time.Contains('+', StringComparison.Ordinal) || time.Contains('-', StringComparison.Ordinal);
    }
}
