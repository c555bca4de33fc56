namespace Lupa.Domain.Privacy;

/// <summary>Where a breach stands with the supervisory authority (Article 33).</summary>
public static class AuthorityStatuses
{
    /// <summary>Not yet notified: the 72-hour clock runs.</summary>
    public const string Pending = "pending";

    /// <summary>The authority was notified (when, and its case reference, are recorded).</summary>
    public const string Notified = "notified";

    /// <summary>Not notified because the breach is unlikely to result in a risk to people (Article 33(1)); the reason is recorded.</summary>
    public const string NotRequired = "not_required";

    /// <summary>Every status.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Notified, NotRequired];

    /// <summary>True for a known status.</summary>
    public static bool IsKnown(string? status) => status is Pending or Notified or NotRequired;
}

/// <summary>The 72-hour clock as a breach's page and API show it.</summary>
public enum BreachClockState
{
    /// <summary>Not notified, more than <see cref="BreachClock.DueSoon"/> left.</summary>
    Running,

    /// <summary>Not notified, at most <see cref="BreachClock.DueSoon"/> left.</summary>
    DueSoon,

    /// <summary>Not notified and the 72 hours have passed.</summary>
    Overdue,

    /// <summary>Notified within 72 hours of discovery.</summary>
    Notified,

    /// <summary>Notified after the 72 hours (the reasons for the delay must accompany it, Article 33(1)).</summary>
    NotifiedLate,

    /// <summary>Decided not to notify: unlikely to result in a risk.</summary>
    NotRequired,
}

/// <summary>
/// Article 33(1): the controller notifies the supervisory authority without undue delay and, where feasible, not later
/// than 72 hours after having become aware of the breach; a later notification gives the reasons for the delay. The
/// clock runs from discovery in real hours (weekends and holidays do not stop it). Pure: the caller says what now is.
/// </summary>
public static class BreachClock
{
    /// <summary>The time the authority must be told within.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromHours(72);

    /// <summary>A pending notification with this little time left is due soon.</summary>
    public static readonly TimeSpan DueSoon = TimeSpan.FromHours(12);

    /// <summary>When the notification is due.</summary>
    public static DateTimeOffset DueAt(DateTimeOffset discoveredAt) => discoveredAt + Limit;

    /// <summary>Where the clock stands.</summary>
    public static BreachClockState State(DateTimeOffset discoveredAt, string authorityStatus, DateTimeOffset? notifiedAt, DateTimeOffset now)
    {
        var due = DueAt(discoveredAt);
        return authorityStatus switch
        {
            AuthorityStatuses.NotRequired => BreachClockState.NotRequired,
            AuthorityStatuses.Notified => notifiedAt is { } at && at > due ? BreachClockState.NotifiedLate : BreachClockState.Notified,
            _ when now > due => BreachClockState.Overdue,
            _ when due - now <= DueSoon => BreachClockState.DueSoon,
            _ => BreachClockState.Running,
        };
    }

    /// <summary>The state as the API names it.</summary>
    public static string Name(BreachClockState state) => state switch
    {
        BreachClockState.Running => "running",
        BreachClockState.DueSoon => "due_soon",
        BreachClockState.Overdue => "overdue",
        BreachClockState.Notified => "notified",
        BreachClockState.NotifiedLate => "notified_late",
        _ => "not_required",
    };

    /// <summary>Time left to the deadline; negative once it has passed.</summary>
    public static TimeSpan Left(DateTimeOffset discoveredAt, DateTimeOffset now) => DueAt(discoveredAt) - now;

    /// <summary>The time left in words: "61 h 30 min left", "45 min left", "5 h 2 min overdue".</summary>
    public static string Words(TimeSpan left)
    {
        var overdue = left < TimeSpan.Zero;
        var span = overdue ? left.Negate() : left;
        var hours = (long)span.TotalHours;
        var text = hours > 0 ? $"{hours} h {span.Minutes} min" : $"{span.Minutes} min";
        return text + (overdue ? " overdue" : " left");
    }

    /// <summary>Whether a notification made at <paramref name="notifiedAt"/> is late and so needs the reasons for the delay.</summary>
    public static bool IsLate(DateTimeOffset discoveredAt, DateTimeOffset notifiedAt) => notifiedAt > DueAt(discoveredAt);
}

/// <summary>Whom a breach notice (Article 34) goes to.</summary>
public static class BreachAudiences
{
    /// <summary>Every person the organisation holds.</summary>
    public const string All = "all";

    /// <summary>Everyone with a subscription (of any status) to one of the lists.</summary>
    public const string Lists = "lists";

    /// <summary>Everyone with a subscription (of any status, to the given lists or any) that matches a segment.</summary>
    public const string Segment = "segment";

    /// <summary>An uploaded list of addresses.</summary>
    public const string Addresses = "addresses";

    /// <summary>Every audience.</summary>
    public static readonly IReadOnlyList<string> Known = [All, Lists, Segment, Addresses];

    /// <summary>True for a known audience.</summary>
    public static bool IsKnown(string? audience) => audience is All or Lists or Segment or Addresses;
}
