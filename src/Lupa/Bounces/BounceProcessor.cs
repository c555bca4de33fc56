using Lupa.Domain.Bounces;
using Lupa.Domain.Campaigns;
using Lupa.Hosting;
using Lupa.Mail.Bounces;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Bounces;

/// <summary>
/// Turns a message that came back (by SMTP to the listener, or from the bounce mailbox) into a recorded
/// bounce or complaint. The campaign message it is about is named by our VERP return address or our
/// Message-ID, and either is trusted only when its MAC checks out: nobody can make Lupa suppress or
/// unsubscribe a person by sending a forged report.
/// </summary>
public sealed class BounceProcessor(
    LupaDatabase db, Lupa.AcceptableUse.AcceptableUseService acceptableUse, IOptions<LupaOptions> options, TimeProvider clock, ILogger<BounceProcessor> log)
{
    private readonly BounceRecorder _recorder = new(db, options.Value.Bounces.SoftBounces());

    /// <summary>Whether the listener takes mail for an address: one of our VERP addresses (MAC checked) or the complaint address.</summary>
    public bool AcceptsRecipient(string address) =>
        IsComplaintAddress(address) || ReturnPath.TryRead(db.SuppressionKey, address, out _, out _);

    private bool IsComplaintAddress(string address) =>
        options.Value.Bounces.ComplaintAddress is { Length: > 0 } complaints && string.Equals(address.Trim(), complaints.Trim(), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads a message and records what it reports. Returns what recording did, or null when there was
    /// nothing to record (an automatic reply, a delay warning, a report that names no message of ours).
    /// Throws when the database fails, so the caller can ask the sender to try again.
    /// </summary>
    public async Task<BounceOutcome?> ProcessAsync(byte[] mime, IReadOnlyList<string> envelopeRecipients, string source, CancellationToken ct)
    {
        InboundReport report;
        try
        {
            report = InboundReport.Read(mime);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A message the parsers choke on is taken and dropped: refusing it would only make the sender retry it for days.
            log.LogWarning(e, "A message from the {Source} could not be read as a report; ignored", source);
            return null;
        }
        if (report.Kind == InboundKind.Ignored)
        {
            log.LogDebug("A {Format} message from the {Source} is nothing to act on", report.Format, source);
            return null;
        }
        if (!Identify(report, envelopeRecipients, out var campaignId, out var subscriberId))
        {
            log.LogInformation("A {Kind} ({Format}) from the {Source} names no campaign message of ours; ignored", report.Kind, report.Format, source);
            return null;
        }
        var (kind, diagnostic) = report.Kind switch
        {
            InboundKind.HardBounce => (BounceKinds.Hard, report.Diagnostic),
            InboundKind.SoftBounce => (BounceKinds.Soft, report.Diagnostic),
            _ => (BounceKinds.Complaint, $"{report.Status} report" + (report.Diagnostic is { Length: > 0 } ua ? $" by {ua}" : "")),
        };
        var outcome = await _recorder.RecordAsync(
            new NewBounce(campaignId, subscriberId, kind, report.Status, diagnostic, source, mime, clock.GetUtcNow().ToUnixTimeMilliseconds()), ct);
        log.LogInformation("{Kind} bounce event ({Status}) for campaign {Campaign}, subscriber {Subscriber}, from the {Source}: {Outcome}",
            kind, report.Status, campaignId, subscriberId, source, outcome);
        // The campaign's rates changed: it may be over a stop threshold now. Should the check fail, the
        // caller asks for the report again, and the repeat (a duplicate) checks again.
        if (outcome is BounceOutcome.Recorded or BounceOutcome.Duplicate)
            await acceptableUse.CheckCampaignAsync(campaignId, ct);
        return outcome;
    }

    // The envelope recipient first (the VERP address the report was sent to), then what the report
    // itself shows: the original's return path and the addresses it was delivered to, then its Message-ID.
    private bool Identify(InboundReport report, IReadOnlyList<string> envelopeRecipients, out long campaignId, out long subscriberId)
    {
        var key = db.SuppressionKey;
        foreach (var rcpt in envelopeRecipients)
        {
            if (ReturnPath.TryRead(key, rcpt, out campaignId, out subscriberId))
                return true;
        }
        foreach (var path in report.ReturnPaths)
        {
            if (ReturnPath.TryRead(key, path, out campaignId, out subscriberId))
                return true;
        }
        foreach (var id in report.MessageIds)
        {
            if (ReturnPath.TryReadMessageId(key, id, out campaignId, out subscriberId))
                return true;
        }
        campaignId = subscriberId = 0;
        return false;
    }
}
