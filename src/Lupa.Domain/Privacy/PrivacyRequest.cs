namespace Lupa.Domain.Privacy;

/// <summary>What a data subject asks for (GDPR Articles 15 to 21).</summary>
public static class PrivacyRequestTypes
{
    /// <summary>Article 15: a copy of the data and the facts about its processing.</summary>
    public const string Access = "access";

    /// <summary>Article 20: the data the person provided, machine-readable.</summary>
    public const string Portability = "portability";

    /// <summary>Article 16: correcting inaccurate data.</summary>
    public const string Rectification = "rectification";

    /// <summary>Article 17: erasure.</summary>
    public const string Erasure = "erasure";

    /// <summary>Article 18: restriction of processing.</summary>
    public const string Restriction = "restriction";

    /// <summary>Article 21: objection, to direct marketing or to profiling.</summary>
    public const string Objection = "objection";

    /// <summary>Every type.</summary>
    public static readonly IReadOnlyList<string> All = [Access, Portability, Rectification, Erasure, Restriction, Objection];

    /// <summary>True for a known type.</summary>
    public static bool IsKnown(string? type) => type is not null && All.Contains(type);

    /// <summary>The GDPR article of a type.</summary>
    public static int Article(string type) => type switch
    {
        Access => 15,
        Rectification => 16,
        Erasure => 17,
        Restriction => 18,
        Portability => 20,
        Objection => 21,
        _ => 0,
    };
}

/// <summary>What an objection (Article 21) is to.</summary>
public static class ObjectionScopes
{
    /// <summary>Direct marketing: absolute (Article 21(2) and (3)).</summary>
    public const string DirectMarketing = "direct_marketing";

    /// <summary>Profiling: no individual tracking or engagement scoring.</summary>
    public const string Profiling = "profiling";

    /// <summary>True for a known scope.</summary>
    public static bool IsKnown(string? scope) => scope is DirectMarketing or Profiling;
}

/// <summary>How a request reached the organisation.</summary>
public static class PrivacyRequestChannels
{
    /// <summary>The public page /privacy/{org}, verified by a mailed link.</summary>
    public const string SelfService = "self_service";
    public const string Letter = "letter";
    public const string Phone = "phone";
    public const string Email = "email";
    public const string Api = "api";

    /// <summary>Every channel.</summary>
    public static readonly IReadOnlyList<string> All = [SelfService, Letter, Phone, Email, Api];

    /// <summary>The channels a privacy officer registers by hand (self-service requests register themselves).</summary>
    public static readonly IReadOnlyList<string> Registered = [Letter, Phone, Email, Api];
}

/// <summary>
/// The life of a request. A self-service request is received, and goes on only when the person opens the
/// verification link; a request the privacy officer registers is verified at once (the officer checked
/// who asked). It then may be taken in hand, extended, and ends completed, refused or withdrawn.
/// </summary>
public static class PrivacyRequestStatuses
{
    public const string Received = "received";
    public const string Verified = "verified";
    public const string InProgress = "in_progress";
    public const string Extended = "extended";
    public const string Completed = "completed";
    public const string Refused = "refused";
    public const string Withdrawn = "withdrawn";

    /// <summary>Every status.</summary>
    public static readonly IReadOnlyList<string> All = [Received, Verified, InProgress, Extended, Completed, Refused, Withdrawn];

    /// <summary>The statuses of a request that waits for an answer and whose deadline runs.</summary>
    public static readonly IReadOnlyList<string> Open = [Verified, InProgress, Extended];

    /// <summary>True for a known status.</summary>
    public static bool IsKnown(string? status) => status is not null && All.Contains(status);

    /// <summary>True while the request waits for an answer (verified and not closed).</summary>
    public static bool IsOpen(string status) => status is Verified or InProgress or Extended;

    /// <summary>What can be done to a request.</summary>
    public enum Action
    {
        Verify,
        Start,
        Extend,
        Complete,
        Refuse,
        Withdraw,
    }

    /// <summary>The status an action leads to from <paramref name="status"/>, or why it cannot be taken.</summary>
    public static Outcome<string> After(string status, Action action) => (status, action) switch
    {
        (Received, Action.Verify) => Outcome<string>.Ok(Verified),
        (Verified, Action.Start) => Outcome<string>.Ok(InProgress),
        (Verified or InProgress or Extended, Action.Extend) => Outcome<string>.Ok(Extended),
        (Verified or InProgress or Extended, Action.Complete) => Outcome<string>.Ok(Completed),
        (Verified or InProgress or Extended, Action.Refuse) => Outcome<string>.Ok(Refused),
        (Received or Verified or InProgress or Extended, Action.Withdraw) => Outcome<string>.Ok(Withdrawn),
        (Received, _) => Outcome<string>.Fail("status", "The request is not verified yet: the person has not opened the verification link."),
        _ => Outcome<string>.Fail("status", $"The request is {status.Replace('_', ' ')}; it cannot be {Past(action)}."),
    };

    private static string Past(Action action) => action switch
    {
        Action.Verify => "verified again",
        Action.Start => "taken in hand",
        Action.Extend => "extended",
        Action.Complete => "completed",
        Action.Refuse => "refused",
        _ => "withdrawn",
    };
}
