namespace Lupa.Domain.Privacy;

/// <summary>
/// How long an organisation keeps personal data (storage limitation, GDPR Article 5(1)(e)). The retention job applies
/// it every day; each period counts back from the moment of the run.
/// </summary>
/// <param name="PendingDays">A subscription never confirmed is removed this many days after it was requested; a person
/// left with nothing else is removed entirely. Unverified self-service requests go after the same time.</param>
/// <param name="TrackingMonths">Per-person delivery and tracking records (campaign recipients of finished campaigns,
/// bounce and complaint events, sent system mail, tracking events) are deleted after this many months; the
/// per-campaign and per-organisation counts stay.</param>
/// <param name="UnsubscribedMonths">A person with no subscription left (every one withdrawn) is erased this many months
/// after their last withdrawal, through the same erasure as Article 17: only the keyed suppression hash stays.</param>
/// <param name="ClosedRequestYears">A closed data-subject request is kept this many years, without the person's
/// address (replaced by its keyed hash a month after closing), then deleted.</param>
public sealed record RetentionPolicy(int PendingDays, int TrackingMonths, int UnsubscribedMonths, int ClosedRequestYears)
{
    /// <summary>The defaults: 30 days, 13 months, 24 months, 3 years.</summary>
    public static readonly RetentionPolicy Default = new(30, 13, 24, 3);

    /// <summary>The allowed range of <see cref="PendingDays"/>.</summary>
    public static readonly (int Min, int Max) PendingDaysRange = (1, 365);

    /// <summary>The allowed range of <see cref="TrackingMonths"/>.</summary>
    public static readonly (int Min, int Max) TrackingMonthsRange = (1, 120);

    /// <summary>The allowed range of <see cref="UnsubscribedMonths"/>.</summary>
    public static readonly (int Min, int Max) UnsubscribedMonthsRange = (1, 120);

    /// <summary>The allowed range of <see cref="ClosedRequestYears"/>.</summary>
    public static readonly (int Min, int Max) ClosedRequestYearsRange = (1, 10);

    /// <summary>Days after closing that a request keeps the person's address (an access report link stays usable meanwhile).</summary>
    public const int ClosedRequestAddressDays = 30;

    /// <summary>The first field out of range, with the reason; null when every field is allowed.</summary>
    public (string Field, string Reason)? Problem()
    {
        static string Range((int Min, int Max) r, string unit) => $"must be from {r.Min} to {r.Max} {unit}";
        if (PendingDays < PendingDaysRange.Min || PendingDays > PendingDaysRange.Max)
            return ("pendingDays", Range(PendingDaysRange, "days"));
        if (TrackingMonths < TrackingMonthsRange.Min || TrackingMonths > TrackingMonthsRange.Max)
            return ("trackingMonths", Range(TrackingMonthsRange, "months"));
        if (UnsubscribedMonths < UnsubscribedMonthsRange.Min || UnsubscribedMonths > UnsubscribedMonthsRange.Max)
            return ("unsubscribedMonths", Range(UnsubscribedMonthsRange, "months"));
        if (ClosedRequestYears < ClosedRequestYearsRange.Min || ClosedRequestYears > ClosedRequestYearsRange.Max)
            return ("closedRequestYears", Range(ClosedRequestYearsRange, "years"));
        return null;
    }

    /// <summary>The moments before which each kind of data is due for removal, at <paramref name="now"/> (calendar months and years in UTC).</summary>
    public RetentionCutoffs CutoffsAt(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return new RetentionCutoffs(
            utc.AddDays(-PendingDays).ToUnixTimeMilliseconds(),
            utc.AddMonths(-TrackingMonths).ToUnixTimeMilliseconds(),
            utc.AddMonths(-UnsubscribedMonths).ToUnixTimeMilliseconds(),
            utc.AddDays(-ClosedRequestAddressDays).ToUnixTimeMilliseconds(),
            utc.AddYears(-ClosedRequestYears).ToUnixTimeMilliseconds());
    }

    /// <summary>The policy in words, one line a rule (for the records of processing and the admin page).</summary>
    public IReadOnlyList<string> Describe() =>
    [
        $"Subscriptions never confirmed (double opt-in not completed) and unverified self-service requests: removed after {PendingDays} days; a person left with nothing else is removed entirely.",
        $"Per-person delivery and tracking records (campaign recipients, bounce and complaint events, sent system mail, tracking events): deleted after {TrackingMonths} months; the counts per campaign and organisation stay.",
        $"People who unsubscribed from everything: erased {UnsubscribedMonths} months after their last withdrawal; only a keyed hash of the address stays on the suppression list.",
        $"Closed data-subject requests: the address is replaced by its keyed hash {ClosedRequestAddressDays} days after closing; the record is deleted after {ClosedRequestYears} years.",
    ];
}

/// <summary>Unix-millisecond moments: data older than each is due for removal by the matching rule.</summary>
public sealed record RetentionCutoffs(long Pending, long Tracking, long Unsubscribed, long ClosedRequestAddress, long ClosedRequest);

/// <summary>What each step of a retention run counts, by name (the keys of a run's <c>counts</c>).</summary>
public static class RetentionSteps
{
    /// <summary>Subscriptions never confirmed, removed (or, for a renewed request after a withdrawal, set back to unsubscribed).</summary>
    public const string PendingSubscriptions = "pendingSubscriptions";

    /// <summary>People removed because nothing but unconfirmed requests was held about them.</summary>
    public const string PendingPeople = "pendingPeople";

    /// <summary>Self-service requests whose verification link was never opened.</summary>
    public const string UnverifiedRequests = "unverifiedRequests";

    /// <summary>Campaign recipient rows of finished campaigns.</summary>
    public const string CampaignRecipients = "campaignRecipients";

    /// <summary>Bounce and complaint events.</summary>
    public const string BounceEvents = "bounceEvents";

    /// <summary>Sent or failed system and transactional mail.</summary>
    public const string OutboxMessages = "outboxMessages";

    /// <summary>Per-person tracking events (opens and clicks).</summary>
    public const string TrackingEvents = "trackingEvents";

    /// <summary>People erased after they unsubscribed from everything.</summary>
    public const string UnsubscribedPeople = "unsubscribedPeople";

    /// <summary>Closed requests whose address was replaced by its keyed hash.</summary>
    public const string RequestAddresses = "requestAddresses";

    /// <summary>Closed requests deleted.</summary>
    public const string ClosedRequests = "closedRequests";

    /// <summary>Every step, in the order a run takes them.</summary>
    public static readonly IReadOnlyList<string> All =
        [PendingSubscriptions, PendingPeople, UnverifiedRequests, CampaignRecipients, BounceEvents, OutboxMessages, TrackingEvents,
         UnsubscribedPeople, RequestAddresses, ClosedRequests];

    /// <summary>A step's name as people read it.</summary>
    public static string Label(string step) => step switch
    {
        PendingSubscriptions => "unconfirmed subscriptions",
        PendingPeople => "people who never confirmed",
        UnverifiedRequests => "unverified requests",
        CampaignRecipients => "campaign recipient rows",
        BounceEvents => "bounce and complaint events",
        OutboxMessages => "sent system mail",
        TrackingEvents => "tracking events",
        UnsubscribedPeople => "unsubscribed people erased",
        RequestAddresses => "request addresses removed",
        ClosedRequests => "closed requests deleted",
        _ => step,
    };
}

/// <summary>Who runs the retention job, as the run log and the audit trail name it.</summary>
public static class RetentionActors
{
    /// <summary>The daily run of the background job.</summary>
    public const string Schedule = "lupa (retention schedule)";
}
