using System.Text.RegularExpressions;

namespace Lupa.Mail.Bounces;

/// <summary>Whether a failure is for good or may pass.</summary>
public enum BounceSeverity
{
    /// <summary>The address is no good: suppress it at once.</summary>
    Hard,

    /// <summary>It may pass (a full mailbox, a message refused for its size or content, a temporary error).</summary>
    Soft,
}

/// <summary>A failure classified: hard or soft, with the enhanced status code (RFC 3463) given or inferred.</summary>
public readonly record struct BounceClass(BounceSeverity Severity, string? Status);

/// <summary>
/// Classifies a delivery failure from its status code and the receiving server's words. A 4.x.x code is
/// soft and a 5.x.x hard, except for permanent failures that say nothing about the address: a full
/// mailbox (x.2.2), a message too large (x.2.3, x.3.4), and policy refusals (x.7.x: spam filters,
/// blocklists, authentication) unless the words say the address does not exist. Without any code the
/// words decide ("user unknown" hard, "mailbox full" soft).
/// </summary>
public static partial class BounceClassifier
{
    // An enhanced status code not inside an IP address, a date or a version number.
    [GeneratedRegex(@"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)", RegexOptions.CultureInvariant)]
    private static partial Regex EnhancedCode();

    // A basic reply code as it starts a reply line: "550 ", "550-", "#550".
    [GeneratedRegex(@"(?<![\w.])([245])\d\d(?=[ \-]|$)", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex ReplyCode();

    private static readonly string[] AddressGone =
    [
        "user unknown", "unknown user", "no such user", "no such mailbox", "no mailbox here", "no such recipient", "mailbox not found",
        "recipient not found", "address not found", "does not exist", "doesn't exist", "not exist", "invalid recipient", "invalid mailbox",
        "invalid address", "unknown recipient", "recipient unknown", "user not found", "account disabled", "account has been disabled",
        "mailbox is disabled", "mailbox disabled", "no longer available", "no longer active", "couldn't be found", "could not be found",
        "unrouteable address", "unroutable address", "recipient address rejected", "not our customer", "mailbox unavailable",
        "address rejected", "recipnotfound", "recipientnotfound",
    ];

    private static readonly string[] MailboxFull =
    [
        "mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage", "insufficient storage",
        "storage allocation", "mailbox size limit", "inbox is full", "out of storage",
    ];

    private static readonly string[] Temporary =
    [
        "temporar", "try again", "try later", "greylist", "graylist", "too many connections", "rate limit", "timed out",
        "connection refused", "deferred", "resources", "service unavailable",
    ];

    /// <summary>
    /// The first enhanced status code in the text (<c>5.1.1</c>), or null. Codes with a zero detail
    /// (<c>5.0.0</c>) are passed over for a more precise one later in the text.
    /// </summary>
    public static string? EnhancedStatus(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        string? generic = null;
        for (var m = EnhancedCode().Match(text); m.Success; m = m.NextMatch())
        {
            if (m.Groups[2].Value != "0")
                return m.Value;
            generic ??= m.Value;
        }
        return generic;
    }

    /// <summary>Whether the text carries an enhanced status code or a 4xx/5xx reply code.</summary>
    public static bool HasCode(ReadOnlySpan<char> text)
    {
        foreach (var m in EnhancedCode().EnumerateMatches(text))
            return true;
        foreach (var m in ReplyCode().EnumerateMatches(text))
        {
            if (text[m.Index] is '4' or '5')
                return true;
        }
        return false;
    }

    /// <summary>The class (2, 4 or 5) of the first basic reply code in the text, or 0.</summary>
    public static int ReplyClass(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        var m = ReplyCode().Match(text);
        return m.Success ? m.Groups[1].Value[0] - '0' : 0;
    }

    /// <summary>
    /// The status of a failure from what its report says: a given status code, else the enhanced code
    /// in the text, else the basic reply code (<c>550</c> becomes <c>5.0.0</c>), else what the words
    /// imply (<c>5.1.1</c> for an unknown user, <c>4.2.2</c> for a full mailbox, <c>4.0.0</c> for a
    /// temporary error). Null when nothing says.
    /// </summary>
    public static string? Status(string? given, string? text)
    {
        var status = EnhancedStatus(given);
        var fromText = EnhancedStatus(text);
        // "Status: 5.0.0" with "550 5.1.1 …" in the diagnostic: the diagnostic is more precise.
        if (status is null || (status.EndsWith(".0.0", StringComparison.Ordinal) && fromText is not null && fromText[0] == status[0]))
            status = fromText ?? status;
        if (status is not null)
            return status;
        var reply = ReplyClass(text);
        if (reply is 4 or 5)
            return reply == 5 ? "5.0.0" : "4.0.0";
        if (string.IsNullOrEmpty(text))
            return null;
        if (ContainsAny(text, MailboxFull))
            return "4.2.2";
        if (ContainsAny(text, AddressGone))
            return "5.1.1";
        if (ContainsAny(text, Temporary))
            return "4.0.0";
        return null;
    }

    /// <summary>
    /// Classifies a failure with a known status (see <see cref="Status"/>) and the server's words
    /// (<paramref name="text"/>, and more of the report in <paramref name="more"/>).
    /// </summary>
    public static BounceClass Classify(string status, string? text, string? more = null)
    {
        if (status.Length < 5 || status[0] != '5')
            return new BounceClass(BounceSeverity.Soft, status);
        var detail = status.AsSpan(2);
        if (detail.StartsWith("2.2") || detail.StartsWith("2.3") || detail.StartsWith("3.4"))
            return new BounceClass(BounceSeverity.Soft, status);
        if (detail.StartsWith("7.") && !ContainsAny(text, AddressGone) && !ContainsAny(more, AddressGone))
            return new BounceClass(BounceSeverity.Soft, status);
        // "550 Mailbox full" with no enhanced code: the words know better than the bare 5.
        if (status == "5.0.0" && (ContainsAny(text, MailboxFull) || ContainsAny(more, MailboxFull)))
            return new BounceClass(BounceSeverity.Soft, status);
        return new BounceClass(BounceSeverity.Hard, status);
    }

    /// <summary>
    /// Classifies a relay's refusal during a send (<c>550 5.1.1 no such user</c>), or null when the text
    /// does not start with a 5xx reply code.
    /// </summary>
    public static BounceClass? FromSmtpReply(string? reply)
    {
        if (reply is null || reply.Length < 3 || reply[0] != '5' || !char.IsAsciiDigit(reply[1]) || !char.IsAsciiDigit(reply[2])
            || (reply.Length > 3 && reply[3] != ' ' && reply[3] != '-'))
            return null;
        var status = Status(null, reply)!;
        return Classify(status, reply);
    }

    // Ignoring ASCII case without a lower-cased copy: the search is vectorised.
    private static bool ContainsAny(string? text, string[] phrases)
    {
        if (string.IsNullOrEmpty(text))
            return false;
        foreach (var p in phrases)
        {
            if (text.Contains(p, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
