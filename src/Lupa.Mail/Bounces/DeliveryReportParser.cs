using System.Net;
using System.Text.RegularExpressions;
using MimeKit;

namespace Lupa.Mail.Bounces;

/// <summary>What a message returned to a sender says about the delivery.</summary>
public enum DeliveryReportKind
{
    /// <summary>Not a delivery report at all (a person's reply, a success notice).</summary>
    NotABounce,

    /// <summary>An automatic reply (out of office, vacation): the message was delivered.</summary>
    AutoReply,

    /// <summary>A warning that delivery is delayed and still being tried: not a failure yet.</summary>
    Delayed,

    /// <summary>A failure that may pass.</summary>
    Soft,

    /// <summary>A failure that says the address is no good.</summary>
    Hard,
}

/// <summary>A delivery report read from a returned message.</summary>
/// <param name="Kind">What it says.</param>
/// <param name="Format">Which format it was read as: <c>rfc3464</c>, <c>exim</c>, <c>qmail</c>, <c>exchange</c>, <c>gmail</c>, <c>text</c>, <c>auto-reply</c> or <c>none</c>.</param>
/// <param name="Status">The enhanced status code (<c>5.1.1</c>), given or inferred from the reply text.</param>
/// <param name="Diagnostic">The receiving server's words, one line.</param>
/// <param name="Recipient">The address the message could not be delivered to.</param>
/// <param name="OriginalMessageId">The returned message's Message-ID, without angle brackets.</param>
/// <param name="OriginalReturnPath">The returned message's envelope sender (our VERP address), where the report shows it.</param>
public sealed record DeliveryReport(
    DeliveryReportKind Kind, string Format, string? Status, string? Diagnostic, string? Recipient, string? OriginalMessageId, string? OriginalReturnPath)
{
    /// <summary>True for a failure (hard or soft).</summary>
    public bool IsFailure => Kind is DeliveryReportKind.Hard or DeliveryReportKind.Soft;
}

/// <summary>
/// Reads bounces: RFC 3464 delivery status notifications (<c>multipart/report;
/// report-type=delivery-status</c>, as Postfix, Exchange Online, Gmail and modern Exim send them), and
/// the common formats without a machine-readable part (classic Exim, qmail, Exchange's text NDR,
/// Gmail-style text, anything else from a mailer daemon), into hard or soft with the status code and the
/// diagnostic. Automatic replies (out of office) are told apart and never count as bounces. No I/O.
/// </summary>
public static partial class DeliveryReportParser
{
    /// <summary>Reads a report from the raw message.</summary>
    public static DeliveryReport Parse(byte[] mime) => Parse(MailParts.Read(mime));

    /// <summary>Reads a report from a parsed message.</summary>
    public static DeliveryReport Parse(MimeMessage message) => Parse(MailParts.Of(message));

    internal static DeliveryReport Parse(MailParts parts)
    {
        if (parts.HasDeliveryStatus && FromDeliveryStatus(parts) is { } dsn)
            return dsn;
        return FromText(parts);
    }

    // ---- RFC 3464 --------------------------------------------------------------------------------

    private static DeliveryReport? FromDeliveryStatus(MailParts parts)
    {
        var groups = parts.DeliveryStatusGroups();
        if (groups.Count < 2)
            return null;
        HeaderList? chosen = null;
        var chosenRank = int.MaxValue;
        for (var i = 1; i < groups.Count; i++)
        {
            var rank = (groups[i]["Action"]?.Trim().ToLowerInvariant()) switch
            {
                "failed" => 0,
                "delayed" => 1,
                _ => 2,
            };
            if (rank < chosenRank)
            {
                chosen = groups[i];
                chosenRank = rank;
            }
        }
        var g = chosen!;
        var action = g["Action"]?.Trim().ToLowerInvariant();
        var diagnostic = CleanDiagnostic(g["Diagnostic-Code"]);
        var status = BounceClassifier.Status(g["Status"], diagnostic);
        var recipient = TypedAddress(g["Original-Recipient"]) ?? TypedAddress(g["Final-Recipient"]) ?? FailedRecipient(parts.Headers);
        var (messageId, returnPath) = Original(parts);
        messageId ??= Bracketless(groups[0]["X-Original-Message-ID"]);
        DeliveryReportKind kind;
        if (action is "delivered" or "relayed" or "expanded")
            kind = DeliveryReportKind.NotABounce;
        else if (action == "delayed")
            kind = DeliveryReportKind.Delayed;
        else if (status is null)
            kind = action == "failed" ? DeliveryReportKind.Soft : DeliveryReportKind.NotABounce;
        else if (status[0] == '2')
            kind = DeliveryReportKind.NotABounce;
        else
            kind = Kind(BounceClassifier.Classify(status, diagnostic));
        return new DeliveryReport(kind, "rfc3464", status, diagnostic, recipient, messageId, returnPath);
    }

    // Diagnostic-Code: "smtp; 550 5.1.1 …" with multi-line replies continued as "550-5.1.1 …".
    private static string? CleanDiagnostic(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var text = OneLine(value);
        var semi = text.IndexOf(';', StringComparison.Ordinal);
        if (semi is > 0 and < 12 && !text.AsSpan(0, semi).ContainsAny(' ', '<'))
            text = text[(semi + 1)..].TrimStart();
        var first = true;
        text = Continuation().Replace(text, m =>
        {
            if (first)
            {
                first = false;
                return m.Value;
            }
            return " ";
        });
        return OneLine(text);
    }

    [GeneratedRegex(@"(?:^|\s)[245]\d\d[ \-][245]\.\d{1,3}\.\d{1,3}\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Continuation();

    // ---- text formats ----------------------------------------------------------------------------

    private static readonly string[] BounceSubjects =
    [
        "undelivered mail", "undeliverable", "delivery status notification (failure)", "mail delivery failed", "failure notice",
        "returned mail", "delivery failure", "non-delivery", "nondeliverable", "delivery has failed", "could not be delivered",
        "mail system error", "not delivered", "delivery notification: delivery has failed", "returned to sender",
    ];

    private static readonly string[] DelaySubjects = ["delayed mail", "delivery status notification (delay)", "delivery delayed", "warning: message"];

    private static readonly string[] OriginalMarkers =
    [
        "--- Below this line is a copy of the message.", "------ This is a copy of the message, including all the headers. ------",
        "------ This is a copy of the message's headers. ------", "----- Original message -----", "------ Original message ------",
        "-----Original Message-----", "--- The header of the original message is following. ---",
    ];

    private static DeliveryReport FromText(MailParts parts)
    {
        var subject = parts.Subject.ToLowerInvariant();
        var text = parts.Text ?? HtmlToText(parts.Html) ?? "";
        var cut = OriginalAt(text);
        var notice = cut < 0 ? text : text[..cut];
        var format = Format(notice);
        var fromDaemon = FromDaemon(parts.From);
        var bounceSubject = ContainsAny(subject, BounceSubjects);
        var failedHeader = parts.Headers.Contains("X-Failed-Recipients");
        if (!fromDaemon && !bounceSubject && !failedHeader && format == "text")
        {
            return IsAutoReply(parts.Headers, subject)
                ? new DeliveryReport(DeliveryReportKind.AutoReply, "auto-reply", null, null, null, null, null)
                : new DeliveryReport(DeliveryReportKind.NotABounce, "none", null, null, null, null, null);
        }
        var (messageId, returnPath) = Original(parts);
        if (cut >= 0 && (messageId is null || returnPath is null))
        {
            var (id, path) = HeadersIn(text[cut..]);
            messageId ??= id;
            returnPath ??= path;
        }
        messageId ??= Bracketless(parts.Headers[HeaderId.InReplyTo]);
        var (recipient, diagnostic) = format switch
        {
            "qmail" => Qmail(notice),
            "exim" => Exim(notice),
            "gmail" => Gmail(notice),
            _ => (null, null),
        };
        recipient ??= FailedRecipient(parts.Headers) ?? FirstAddressIn(notice);
        diagnostic ??= LineWithCode(notice);
        if (ContainsAny(subject, DelaySubjects) || notice.Contains("THIS IS A WARNING ONLY", StringComparison.Ordinal))
            return new DeliveryReport(DeliveryReportKind.Delayed, format, BounceClassifier.Status(null, diagnostic), diagnostic, recipient, messageId, returnPath);
        var status = BounceClassifier.Status(null, diagnostic) ?? BounceClassifier.Status(null, notice);
        diagnostic ??= FirstLines(notice);
        // A mailer daemon's notice that says nothing readable: soft, so it counts but never suppresses alone.
        var kind = status is null ? DeliveryReportKind.Soft : status[0] == '2' ? DeliveryReportKind.NotABounce : Kind(BounceClassifier.Classify(status, diagnostic, notice));
        return new DeliveryReport(kind, format, status, diagnostic, recipient, messageId, returnPath);
    }

    private static string Format(string notice)
    {
        if (notice.Contains("This is the qmail-send program", StringComparison.Ordinal))
            return "qmail";
        if (notice.Contains("created automatically by mail delivery software", StringComparison.Ordinal))
            return "exim";
        if (notice.Contains("did not reach some or all of the intended recipients", StringComparison.Ordinal)
            || notice.Contains("Delivery has failed to these recipients", StringComparison.Ordinal)
            || notice.Contains("Diagnostic information for administrators", StringComparison.Ordinal))
            return "exchange";
        if (notice.Contains("** Address not found **", StringComparison.Ordinal) || notice.Contains("** Message not delivered **", StringComparison.Ordinal)
            || notice.Contains("Your message wasn't delivered to", StringComparison.Ordinal))
            return "gmail";
        return "text";
    }

    // qmail: "<user@host>:" then the reason on the following lines, up to a blank line.
    private static (string?, string?) Qmail(string notice)
    {
        var m = QmailRecipient().Match(notice);
        if (!m.Success)
            return (null, null);
        return (m.Groups[1].Value, OneLine(m.Groups[2].Value));
    }

    [GeneratedRegex(@"^<([^<>\s@]+@[^<>\s]+)>:[ \t]*\r?\n((?:[^\r\n]+(?:\r?\n|$))+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex QmailRecipient();

    // Exim: after "The following address(es) failed:", the address indented by two and the reason by four.
    private static (string?, string?) Exim(string notice)
    {
        var m = EximRecipient().Match(notice);
        if (!m.Success)
            return (null, null);
        return (m.Groups[1].Value, OneLine(m.Groups[2].Value));
    }

    [GeneratedRegex(@"failed:[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]+<?([^<>\s@]+@[^<>\s]+?)>?[ \t]*\r?\n((?:[ \t]{3,}[^\r\n]*(?:\r?\n|$))+)", RegexOptions.CultureInvariant)]
    private static partial Regex EximRecipient();

    // Gmail: "wasn't delivered to X because …", and the reply after "The response was:".
    private static (string?, string?) Gmail(string notice)
    {
        var to = GmailRecipient().Match(notice);
        var reply = GmailResponse().Match(notice);
        return (to.Success ? to.Groups[1].Value : null, reply.Success ? OneLine(reply.Groups[1].Value) : null);
    }

    [GeneratedRegex(@"delivered to ([^\s@]+@[^\s]+?) because", RegexOptions.CultureInvariant)]
    private static partial Regex GmailRecipient();

    [GeneratedRegex(@"The response (?:from the remote server )?was:\s*\r?\n\s*\r?\n?([^\r\n]+)", RegexOptions.CultureInvariant)]
    private static partial Regex GmailResponse();

    // The line (with its continuation) that carries a reply or status code: Exchange's "#550 5.1.1 …##",
    // "<server #5.1.1>", "Remote Server returned '550 …'".
    private static string? LineWithCode(string notice)
    {
        foreach (var raw in notice.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.Length > 0 && BounceClassifier.HasCode(line))
                return OneLine(line.Trim("<>#' ").ToString());
        }
        return null;
    }

    private static string? FirstLines(string notice)
    {
        var text = OneLine(notice);
        return text.Length == 0 ? null : text.Length <= 300 ? text : text[..300];
    }

    private static int OriginalAt(string text)
    {
        var at = -1;
        foreach (var marker in OriginalMarkers)
        {
            var i = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (i >= 0 && (at < 0 || i < at))
                at = i;
        }
        return at;
    }

    // The headers of an original message copied into the text after a marker line.
    private static (string? MessageId, string? ReturnPath) HeadersIn(string copy)
    {
        var nl = copy.IndexOf('\n', StringComparison.Ordinal);
        if (nl < 0)
            return (null, null);
        var body = copy[(nl + 1)..].TrimStart('\r', '\n', ' ');
        // Only the header block: the copy's body is not needed.
        var end = body.IndexOf("\n\n", StringComparison.Ordinal);
        var crlfEnd = body.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (crlfEnd >= 0 && (end < 0 || crlfEnd < end))
            end = crlfEnd;
        if (end >= 0)
            body = body[..(end + 1)];
        var headers = MailParts.HeadersOf(body);
        return headers is null ? (null, null) : (Bracketless(headers[HeaderId.MessageId]), Bracketless(headers[HeaderId.ReturnPath]));
    }

    private static (string? MessageId, string? ReturnPath) Original(MailParts parts)
    {
        var original = parts.OriginalHeaders;
        if (original is null)
            return (null, null);
        return (Bracketless(original[HeaderId.MessageId]), Bracketless(original[HeaderId.ReturnPath]));
    }

    // ---- shared helpers --------------------------------------------------------------------------

    private static DeliveryReportKind Kind(BounceClass c) => c.Severity == BounceSeverity.Hard ? DeliveryReportKind.Hard : DeliveryReportKind.Soft;

    private static readonly string[] DaemonNames = ["mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail-daemon", "mail delivery"];

    private static bool FromDaemon(InternetAddressList from)
    {
        foreach (var m in from.Mailboxes)
        {
            var local = m.LocalPart.ToLowerInvariant();
            var name = (m.Name ?? "").ToLowerInvariant();
            if (ContainsAny(local, DaemonNames) || ContainsAny(name, DaemonNames))
                return true;
        }
        return false;
    }

    private static readonly string[] AutoReplySubjects =
    [
        "automatic reply", "auto reply", "autoreply", "auto-reply", "auto:", "out of office", "out of the office", "vacation",
        "abwesenheit", "automaattinen vastaus", "poissa", "lomalla", "frånvaro", "autosvar", "réponse automatique", "fuera de la oficina",
    ];

    // RFC 3834's Auto-Submitted, the vendors' own headers, and the usual subjects.
    internal static bool IsAutoReply(HeaderList headers, string lowerSubject)
    {
        var submitted = headers["Auto-Submitted"]?.Trim().ToLowerInvariant();
        if (submitted is not null && submitted != "no")
            return true;
        if (headers.Contains("X-Autoreply") || headers.Contains("X-Autorespond") || headers.Contains("X-Autoresponder"))
            return true;
        var precedence = headers[HeaderId.Precedence]?.Trim().ToLowerInvariant();
        if (precedence is "auto_reply" or "auto-reply")
            return true;
        return ContainsAny(lowerSubject, AutoReplySubjects);
    }

    private static string? FailedRecipient(HeaderList headers)
    {
        var value = headers["X-Failed-Recipients"];
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var first = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return Bracketless(first);
    }

    // "rfc822; user@example.org" → user@example.org
    private static string? TypedAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var semi = value.IndexOf(';', StringComparison.Ordinal);
        return Bracketless(semi >= 0 ? value[(semi + 1)..] : value);
    }

    // The first address in the notice that is not one of ours (a VERP) and looks like a mailbox.
    private static string? FirstAddressIn(string notice)
    {
        for (var m = Address().Match(notice); m.Success; m = m.NextMatch())
        {
            var a = m.Value.TrimEnd('.');
            if (!a.StartsWith("bounce+", StringComparison.OrdinalIgnoreCase) && !a.StartsWith("postmaster@", StringComparison.OrdinalIgnoreCase)
                && !a.StartsWith("mailer-daemon@", StringComparison.OrdinalIgnoreCase))
                return a;
        }
        return null;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-=']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex Address();

    internal static string? Bracketless(string? value)
    {
        if (value is null)
            return null;
        var v = value.Trim();
        var lt = v.IndexOf('<', StringComparison.Ordinal);
        if (lt >= 0)
        {
            var gt = v.IndexOf('>', lt + 1);
            v = gt > lt ? v[(lt + 1)..gt] : v[(lt + 1)..];
        }
        v = v.Trim();
        return v.Length == 0 ? null : v;
    }

    internal static string OneLine(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length);
        var space = false;
        foreach (var ch in value)
        {
            if (char.IsWhiteSpace(ch))
            {
                space = sb.Length > 0;
                continue;
            }
            if (space)
                sb.Append(' ');
            space = false;
            sb.Append(ch);
        }
        return sb.ToString();
    }

    private static string? HtmlToText(string? html)
    {
        if (string.IsNullOrEmpty(html))
            return null;
        var text = Tags().Replace(Breaks().Replace(html, "\n"), "");
        return WebUtility.HtmlDecode(text);
    }

    [GeneratedRegex(@"<(?:br|/p|/div|/tr|/h\d)[^>]*>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Breaks();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Tags();

    internal static bool ContainsAny(string lower, string[] phrases)
    {
        foreach (var p in phrases)
        {
            if (lower.Contains(p, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
