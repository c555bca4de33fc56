using System.Text.Json;
using Lupa.Domain.AcceptableUse;
using Lupa.Hosting;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.Extensions.Options;

namespace Lupa.AcceptableUse;

/// <summary>An organisation's standing under the policy: its open suspension, and its campaigns of the window measured.</summary>
/// <param name="Suspension">The open suspension, or null while the organisation may send.</param>
/// <param name="Figures">Its campaigns that started within the window, added up.</param>
/// <param name="Findings">Those figures against the thresholds.</param>
public sealed record OrganisationStanding(SuspensionRow? Suspension, SendingFigures Figures, IReadOnlyList<PolicyFinding> Findings)
{
    /// <summary>The worst level: Stop while suspended.</summary>
    public PolicyLevel Level => Suspension is not null ? PolicyLevel.Stop : AcceptableUsePolicy.Worst(Findings);
}

/// <summary>
/// Applies the operator's acceptable use policy. After anything that changes a campaign's figures (a
/// bounce or complaint recorded, a batch of sends recorded, an unsubscribe through the campaign's link)
/// the campaign is measured: over a stop threshold it pauses with the reason, and its organisation's
/// sending is suspended until the operator reviews it. The organisation is also measured over the
/// window, so many small campaigns cannot each stay under the minimum volume. The owners are told by
/// mail; every suspension and review is in the audit trail.
/// </summary>
public sealed class AcceptableUseService(
    LupaDatabase db, SystemStore system, SubscriptionService subscriptions, IOptions<LupaOptions> options, TimeProvider clock, ILogger<AcceptableUseService> log)
{
    /// <summary>Who the audit trail names for what the policy did by itself.</summary>
    public const string PolicyActor = "acceptable-use-policy";

    private readonly AcceptableUseStore _store = new(db);

    /// <summary>The thresholds in force.</summary>
    public AcceptableUsePolicy Policy => options.Value.AcceptableUse;

    /// <summary>The store, for the operator's pages.</summary>
    public AcceptableUseStore Store => _store;

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A campaign's figures against the thresholds.</summary>
    public IReadOnlyList<PolicyFinding> Findings(CampaignRow c) =>
        Policy.Evaluate(c.Figures());

    /// <summary>The organisation's open suspension, or null.</summary>
    public Task<SuspensionRow?> SuspensionAsync(long orgId, CancellationToken ct) => _store.OpenAsync(orgId, ct);

    /// <summary>The organisation's standing now.</summary>
    public async Task<OrganisationStanding> StandingAsync(long orgId, CancellationToken ct)
    {
        var figures = await _store.OrganisationFiguresAsync(orgId, Policy.WindowStart(Now()), ct);
        return new OrganisationStanding(await _store.OpenAsync(orgId, ct), figures, Policy.Evaluate(figures));
    }

    /// <summary>
    /// Measures a campaign whose figures changed: over a stop threshold (the first time) it pauses and the
    /// organisation's sending is suspended; otherwise the organisation's window is measured.
    /// </summary>
    public async Task CheckCampaignAsync(long campaignId, CancellationToken ct)
    {
        var campaign = await _store.CampaignAsync(campaignId, ct);
        if (campaign is null)
            return;
        if (campaign.PolicyStoppedAt is null && AcceptableUsePolicy.FirstStop(Policy.Evaluate(campaign.Figures)) is { } stop)
        {
            var org = await system.GetOrganisationAsync(campaign.OrgId, ct);
            var orgName = org?.Name ?? "the organisation";
            var what = stop.Describe() + ".";
            var result = await _store.StopCampaignAsync(campaign.OrgId, campaign.Id, stop.Measure,
                $"Paused by the acceptable use policy: {what} Sending of {orgName} is suspended until the operator reviews it.",
                $"Campaign “{campaign.Name}” (#{campaign.Id}): {what}",
                OthersReason(orgName), Now(), ct);
            if (!result.Stopped)
                return;
            log.LogWarning("Campaign {Campaign} of organisation {Org} stopped by the acceptable use policy: {Measure} {Count} of {Of}",
                campaign.Id, campaign.OrgId, stop.Measure, stop.Count, stop.Of);
            await new AuditStore(db).AppendAsync(campaign.OrgId, PolicyActor, "campaign.policy_stop", "campaign:" + campaign.Id, Details(stop), Now(), ct);
            if (result.SuspensionId is { } id)
                await SuspendedAsync(id, campaign.OrgId, stop, ct);
            return;
        }
        await CheckOrganisationAsync(campaign.OrgId, ct);
    }

    /// <summary>
    /// Measures the organisation's campaigns of the window (those that started since its last suspension
    /// was lifted, if that is later): over a stop threshold its sending is suspended.
    /// </summary>
    public async Task CheckOrganisationAsync(long orgId, CancellationToken ct)
    {
        if (await _store.OpenAsync(orgId, ct) is not null)
            return;
        var since = Math.Max(Policy.WindowStart(Now()), await _store.LastLiftedAsync(orgId, ct) ?? 0);
        var figures = await _store.OrganisationFiguresAsync(orgId, since, ct);
        if (AcceptableUsePolicy.FirstStop(Policy.Evaluate(figures)) is not { } stop)
            return;
        var orgName = (await system.GetOrganisationAsync(orgId, ct))?.Name ?? "the organisation";
        var id = await _store.SuspendAsync(orgId, stop.Measure, $"Campaigns of the last {Policy.WindowDays} days together: {stop.Describe()}.",
            OthersReason(orgName), Now(), ct);
        if (id is not null)
            await SuspendedAsync(id.Value, orgId, stop, ct);
    }

    private async Task SuspendedAsync(long suspensionId, long orgId, PolicyFinding stop, CancellationToken ct)
    {
        log.LogWarning("Sending of organisation {Org} suspended by the acceptable use policy (suspension {Suspension}, {Measure})", orgId, suspensionId, stop.Measure);
        await new AuditStore(db).AppendAsync(orgId, PolicyActor, "sending.suspend", "suspension:" + suspensionId, Details(stop), Now(), ct);
        var suspension = (await _store.GetAsync(suspensionId, ct))!;
        await subscriptions.NotifyOwnersAsync(orgId, $"Sending of {suspension.OrgName} is suspended",
            $"""
            Lupa suspended the sending of {suspension.OrgName} under the service's acceptable use policy.

            Why: {suspension.Reason}

            Campaigns that were sending are paused, and no campaign can start or resume until the operator has reviewed the suspension and lifted it. Test sends and transactional mail still go out.

            High bounce and complaint rates usually mean that mail went to people who did not ask for it, for instance from a bought or old list. Look at the campaign's bounces and complaints, and at where the list's consent came from (Reports in the admin UI), and tell the operator what you found.
            """, ct);
    }

    /// <summary>The operator keeps a suspension after looking at it, with a note the organisation reads. False when it is not open.</summary>
    public Task<bool> KeepAsync(long suspensionId, string by, string? note, CancellationToken ct) => ReviewAsync(suspensionId, by, note, lift: false, ct);

    /// <summary>The operator lifts a suspension: the organisation may send again. False when it is not open.</summary>
    public Task<bool> LiftAsync(long suspensionId, string by, string? note, CancellationToken ct) => ReviewAsync(suspensionId, by, note, lift: true, ct);

    private async Task<bool> ReviewAsync(long suspensionId, string by, string? note, bool lift, CancellationToken ct)
    {
        var now = Now();
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var done = lift ? await _store.LiftAsync(suspensionId, by, note, now, ct) : await _store.KeepAsync(suspensionId, by, note, now, ct);
        if (!done)
            return false;
        var s = (await _store.GetAsync(suspensionId, ct))!;
        await new AuditStore(db).AppendAsync(s.OrgId, by, lift ? "sending.lift" : "sending.keep_suspended", "suspension:" + s.Id,
            JsonSerializer.Serialize(new { note = note is not null }), now, ct);
        var text = lift
            ? $"The operator reviewed the suspension of {s.OrgName}'s sending and lifted it: campaigns can start again. Campaigns paused by the suspension stay paused; resume each on its page when you are ready."
            : $"The operator reviewed the suspension of {s.OrgName}'s sending and keeps it for now: no campaign can start or resume.";
        text += $"\n\nThe suspension: {s.Reason}";
        text += note is not null ? $"\n\nThe operator's note:\n{note}" : "\n\nThe operator left no note.";
        await subscriptions.NotifyOwnersAsync(s.OrgId, lift ? $"Sending of {s.OrgName} may go on" : $"Sending of {s.OrgName} stays suspended", text, ct);
        return true;
    }

    private static string OthersReason(string orgName) =>
        $"Paused because the sending of {orgName} is suspended under the acceptable use policy; it can be resumed once the operator lifts the suspension.";

    private static string Details(PolicyFinding f) =>
        JsonSerializer.Serialize(new { measure = f.Measure, count = f.Count, of = f.Of, rate = Math.Round(f.Rate, 6), threshold = f.StopAt });
}
