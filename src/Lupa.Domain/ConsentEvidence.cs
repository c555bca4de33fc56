using System.Net;

namespace Lupa.Domain;

/// <summary>
/// What a caller states about an earlier consent: when, how, where and from which IP.
/// Lupa confirms a subscriber at once only when this is present and plausible.
/// </summary>
public sealed record ConsentEvidence(DateTimeOffset GivenAt, string Method, string Source, string? Ip, string? Text)
{
    /// <summary>Longest source description kept.</summary>
    public const int MaxSourceLength = 2000;

    /// <summary>Checks evidence against the clock. Returns the field and reason of the first problem, or null.</summary>
    public static (string Field, string Reason)? Problem(DateTimeOffset? givenAt, string? method, string? source, string? ip, DateTimeOffset now)
    {
        if (givenAt is null)
            return ("timestamp", "is required with consent evidence");
        if (givenAt > now.AddMinutes(5))
            return ("timestamp", "is in the future");
        if (givenAt < new DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero))
            return ("timestamp", "is implausibly old");
        if (string.IsNullOrWhiteSpace(method) || !ConsentMethods.EvidenceMethods.Contains(method))
            return ("method", "must be one of " + string.Join(", ", ConsentMethods.EvidenceMethods));
        if (string.IsNullOrWhiteSpace(source))
            return ("source", "is required: the URL or a description of where consent was given");
        if (TextRules.SingleLineProblem(source, MaxSourceLength) is { } sp)
            return ("source", sp);
        if (!string.IsNullOrEmpty(ip) && !IPAddress.TryParse(ip, out _))
            return ("ip", "is not an IP address");
        return null;
    }
}
