using MimeKit;

namespace Lupa.Mail.Bounces;

/// <summary>What a message that came back to Lupa means for the person it was sent to.</summary>
public enum InboundKind
{
    /// <summary>Nothing to act on: an automatic reply, a delay warning, a person's reply, a feedback report that is no complaint.</summary>
    Ignored,

    /// <summary>A soft bounce.</summary>
    SoftBounce,

    /// <summary>A hard bounce.</summary>
    HardBounce,

    /// <summary>A complaint (ARF abuse or fraud report).</summary>
    Complaint,
}

/// <summary>
/// A message that came back (to a VERP address, the complaint address or the bounce mailbox), read once:
/// what it means, and every place that may name the campaign message it is about. The names are only
/// candidates; the caller trusts one only after checking its MAC.
/// </summary>
/// <param name="Kind">What it means.</param>
/// <param name="Format">The format it was read as (<c>rfc3464</c>, <c>exim</c>, <c>qmail</c>, <c>exchange</c>, <c>gmail</c>, <c>text</c>, <c>arf</c>, <c>auto-reply</c>, <c>none</c>).</param>
/// <param name="Status">For a bounce the enhanced status code; for a complaint the feedback type.</param>
/// <param name="Diagnostic">For a bounce the server's words; for a complaint who reported it.</param>
/// <param name="Recipient">The address the report is about, where it says.</param>
/// <param name="Delivery">The delivery report, when it was read as one.</param>
/// <param name="Complaint">The feedback report, when it is one.</param>
/// <param name="ReturnPaths">Addresses that may be our VERP return address: the returned original's envelope sender and the report's own recipient headers.</param>
/// <param name="MessageIds">Message-IDs that may be our campaign message's.</param>
public sealed record InboundReport(
    InboundKind Kind, string Format, string? Status, string? Diagnostic, string? Recipient,
    DeliveryReport? Delivery, ComplaintReport? Complaint, IReadOnlyList<string> ReturnPaths, IReadOnlyList<string> MessageIds)
{
    /// <summary>Reads a raw message. A message MimeKit cannot read at all is <see cref="InboundKind.Ignored"/>.</summary>
    public static InboundReport Read(byte[] mime)
    {
        MailParts parts;
        try
        {
            parts = MailParts.Read(mime);
        }
        catch (Exception e) when (e is FormatException or ParseException)
        {
            return new InboundReport(InboundKind.Ignored, "none", null, null, null, null, null, [], []);
        }
        return Read(parts);
    }

    /// <summary>Reads a parsed message.</summary>
    public static InboundReport Read(MimeMessage message) => Read(MailParts.Of(message));

    private static InboundReport Read(MailParts parts)
    {
        var paths = new List<string>(4);
        var ids = new List<string>(2);
        if (ComplaintParser.Parse(parts) is { } complaint)
        {
            Add(paths, complaint.OriginalMailFrom);
            Add(paths, complaint.OriginalReturnPath);
            Add(ids, complaint.OriginalMessageId);
            AddAddressedTo(parts, paths);
            return new InboundReport(complaint.IsComplaint ? InboundKind.Complaint : InboundKind.Ignored, "arf", complaint.FeedbackType,
                complaint.UserAgent, complaint.OriginalRcptTo, null, complaint, paths, ids);
        }
        var report = DeliveryReportParser.Parse(parts);
        Add(paths, report.OriginalReturnPath);
        AddAddressedTo(parts, paths);
        Add(ids, report.OriginalMessageId);
        var kind = report.Kind switch
        {
            DeliveryReportKind.Hard => InboundKind.HardBounce,
            DeliveryReportKind.Soft => InboundKind.SoftBounce,
            _ => InboundKind.Ignored,
        };
        return new InboundReport(kind, report.Format, report.Status, report.Diagnostic, report.Recipient, report, null, paths, ids);
    }

    // A bounce is addressed to the envelope sender of the message it returns: in a mailbox, the headers
    // the receiving server added (or the To the reporting server wrote) say which VERP address it reached.
    private static void AddAddressedTo(MailParts parts, List<string> paths)
    {
        foreach (var name in (string[])["X-Original-To", "Delivered-To", "Envelope-To"])
            Add(paths, DeliveryReportParser.Bracketless(parts.Headers[name]));
        foreach (var m in parts.To.Mailboxes)
            Add(paths, m.Address);
    }

    private static void Add(List<string> list, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value) && !list.Contains(value, StringComparer.OrdinalIgnoreCase))
            list.Add(value);
    }
}
