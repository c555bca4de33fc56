using MimeKit;

namespace Lupa.Mail.Bounces;

/// <summary>A feedback report (RFC 5965 ARF) from a mailbox provider's feedback loop.</summary>
/// <param name="FeedbackType">What is reported: <c>abuse</c>, <c>fraud</c>, <c>virus</c>, <c>other</c>, <c>not-spam</c>, <c>auth-failure</c> (lower case).</param>
/// <param name="OriginalRcptTo">The address the reported message was delivered to, where the provider tells it (many redact it).</param>
/// <param name="OriginalMailFrom">The reported message's envelope sender (our VERP address), where given.</param>
/// <param name="OriginalMessageId">The reported message's Message-ID, without angle brackets.</param>
/// <param name="FeedbackId">The reported message's Feedback-ID header (<c>{campaign}:{org}:campaign:lupa</c>).</param>
/// <param name="OriginalReturnPath">The reported message's Return-Path header, where the copy has one.</param>
/// <param name="UserAgent">The software that made the report.</param>
/// <param name="SourceIp">The IP address the reported message came from.</param>
public sealed record ComplaintReport(
    string FeedbackType, string? OriginalRcptTo, string? OriginalMailFrom, string? OriginalMessageId, string? FeedbackId,
    string? OriginalReturnPath, string? UserAgent, string? SourceIp)
{
    /// <summary>
    /// True when the person complained about the message: <c>abuse</c> (this is spam) or <c>fraud</c>
    /// (phishing). DMARC failure reports (<c>auth-failure</c>), virus reports and <c>not-spam</c> are
    /// feedback reports too, but nobody asked to stop receiving mail.
    /// </summary>
    public bool IsComplaint => FeedbackType is "abuse" or "fraud";
}

/// <summary>Reads ARF feedback reports (<c>multipart/report; report-type=feedback-report</c>). No I/O.</summary>
public static class ComplaintParser
{
    /// <summary>The report in the raw message, or null when it is not a feedback report.</summary>
    public static ComplaintReport? Parse(byte[] mime) => Parse(MailParts.Read(mime));

    /// <summary>The report in a parsed message, or null when it is not a feedback report.</summary>
    public static ComplaintReport? Parse(MimeMessage message) => Parse(MailParts.Of(message));

    internal static ComplaintReport? Parse(MailParts parts)
    {
        if (parts.FeedbackFields() is not { } fields)
            return null;
        var type = fields["Feedback-Type"]?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type))
            return null;
        var original = parts.OriginalHeaders;
        return new ComplaintReport(
            type,
            DeliveryReportParser.Bracketless(fields["Original-Rcpt-To"]),
            DeliveryReportParser.Bracketless(fields["Original-Mail-From"]),
            DeliveryReportParser.Bracketless(original?[HeaderId.MessageId]),
            original?["Feedback-ID"]?.Trim(),
            DeliveryReportParser.Bracketless(original?[HeaderId.ReturnPath]),
            fields["User-Agent"]?.Trim(),
            fields["Source-IP"]?.Trim());
    }
}
