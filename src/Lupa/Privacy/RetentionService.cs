using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>Where a retention run is: the organisation, the step (<see cref="RetentionSteps"/>) and how many rows it has done.</summary>
public sealed record RetentionProgress(string Organisation, string Step, long Done);

/// <summary>What a retention run did (or, for a dry run, would do) for one organisation.</summary>
/// <param name="OrgId">The organisation.</param>
/// <param name="RunId">The run's row in the log; null for a dry run or a skipped one.</param>
/// <param name="DryRun">Only counted.</param>
/// <param name="Skipped">The organisation's scheduled run of the day had been started already (by another node or before a restart).</param>
/// <param name="Counts">Per step (<see cref="RetentionSteps.All"/>), what was removed.</param>
public sealed record RetentionRunResult(long OrgId, long? RunId, bool DryRun, bool Skipped, IReadOnlyDictionary<string, long> Counts);

/// <summary>
/// Applies each organisation's retention policy (storage limitation, GDPR Article 5(1)(e)) and logs what it removed:
/// unconfirmed subscriptions and the people who only had those, unverified requests, per-person delivery and tracking
/// records, people who unsubscribed from everything (through the same erasure as Article 17, so nothing of them stays
/// readable and only the keyed suppression hash remains), and closed requests (first their addresses, then the record).
/// People with an open data-subject request and restricted people (Article 18) are left as they are.
/// </summary>
public sealed class RetentionService(
    LupaDatabase db, SystemStore system, ErasureScrubber scrubber, AuditTrail audit, DataRecipientService recipients, IOptions<LupaOptions> options,
    TimeProvider clock, ILogger<RetentionService> log)
{
    /// <summary>The retention of one organisation.</summary>
    public RetentionStore For(long orgId) => new(db, orgId);

    /// <summary>Validates and stores a policy, written to the audit trail. Failures name the field (422).</summary>
    public async Task<Outcome<RetentionPolicy>> SetPolicyAsync(long orgId, RetentionPolicy policy, string actor, CancellationToken ct)
    {
        if (policy.Problem() is { } p)
            return Outcome<RetentionPolicy>.Fail(p.Field, p.Reason);
        await For(orgId).SetPolicyAsync(policy, audit.Entry(orgId, actor, AuditActions.RetentionPolicy, "organisation:" + orgId, policy), ct);
        log.LogInformation("Retention policy of organisation {OrgId} changed by {Actor}", orgId, actor);
        return Outcome<RetentionPolicy>.Ok(policy);
    }

    /// <summary>
    /// The day's scheduled run for every organisation (each organisation's day runs once, whichever node gets there
    /// first). Returns how many organisations this call ran.
    /// </summary>
    public async Task<int> RunScheduledAsync(DateTimeOffset now, CancellationToken ct)
    {
        var day = PrivacyDeadlines.LocalDate(now, options.Value.Privacy.Zone()).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var ran = 0;
        foreach (var org in await system.ListOrganisationsAsync(ct))
        {
            try
            {
                if (!(await RunAsync(org, RetentionActors.Schedule, dryRun: false, day, null, ct)).Skipped)
                    ran++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One organisation's failure (logged in its run row) does not keep the others from their retention.
                log.LogError(e, "Retention run of organisation {OrgId} failed", org.Id);
            }
        }
        return ran;
    }

    /// <summary>
    /// Runs the organisation's policy now: every step in order, logged as a run and written to the audit trail
    /// (a dry run only counts, and is not logged). <paramref name="scheduledDay"/> (yyyy-MM-dd) makes it the day's
    /// scheduled run, which happens once.
    /// </summary>
    public async Task<RetentionRunResult> RunAsync(OrganisationRow org, string actor, bool dryRun, string? scheduledDay, IProgress<RetentionProgress>? progress, CancellationToken ct)
    {
        var store = For(org.Id);
        var policy = (await store.GetPolicyAsync(ct)).Policy;
        var now = clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var cut = policy.CutoffsAt(now);
        var counts = RetentionSteps.All.ToDictionary(s => s, _ => 0L);
        long? runId = null;
        if (!dryRun)
        {
            runId = await store.StartRunAsync(actor, nowMs, scheduledDay, ct);
            if (runId is null)
                return new RetentionRunResult(org.Id, null, false, true, counts);
        }
        async Task StepAsync(string step, Func<IProgress<long>, Task<long>> work)
        {
            progress?.Report(new RetentionProgress(org.Slug, step, 0));
            counts[step] = await work(new Inline<long>(n => progress?.Report(new RetentionProgress(org.Slug, step, n))));
            progress?.Report(new RetentionProgress(org.Slug, step, counts[step]));
        }
        try
        {
            if (dryRun)
            {
                // Counted before the unconfirmed subscriptions go, which is what the real run removes them after.
                await StepAsync(RetentionSteps.PendingPeople, _ => store.CountNeverConfirmedAsync(cut.Pending, ct));
                await StepAsync(RetentionSteps.PendingSubscriptions, p => store.PurgePendingSubscriptionsAsync(cut.Pending, true, p, ct));
            }
            else
            {
                await StepAsync(RetentionSteps.PendingSubscriptions, p => store.PurgePendingSubscriptionsAsync(cut.Pending, false, p, ct));
                await StepAsync(RetentionSteps.PendingPeople, p => EraseAsync(org.Id, after => store.NeverConfirmedAsync(cut.Pending, after, 500, ct), false, nowMs, p, ct));
            }
            await StepAsync(RetentionSteps.UnverifiedRequests, _ => store.PurgeUnverifiedRequestsAsync(cut.Pending, dryRun, ct));
            await StepAsync(RetentionSteps.CampaignRecipients, p => store.PurgeCampaignRecipientsAsync(cut.Tracking, dryRun, p, ct));
            await StepAsync(RetentionSteps.BounceEvents, p => store.PurgeBounceEventsAsync(cut.Tracking, dryRun, p, ct));
            await StepAsync(RetentionSteps.OutboxMessages, p => store.PurgeOutboxAsync(cut.Tracking, dryRun, p, ct));
            await StepAsync(RetentionSteps.TrackingEvents, p => store.PurgeTrackingEventsAsync(cut.Tracking, dryRun, p, ct));
            await StepAsync(RetentionSteps.UnsubscribedPeople, p => dryRun
                ? store.CountUnsubscribedAsync(cut.Unsubscribed, ct)
                : EraseAsync(org.Id, after => store.UnsubscribedAsync(cut.Unsubscribed, after, 500, ct), true, nowMs, p, ct));
            await StepAsync(RetentionSteps.RequestAddresses, _ => store.RemoveRequestAddressesAsync(cut.ClosedRequestAddress, dryRun, nowMs, ct));
            await StepAsync(RetentionSteps.ClosedRequests, _ => store.PurgeClosedRequestsAsync(cut.ClosedRequest, dryRun, ct));
        }
        catch (Exception e) when (runId is not null)
        {
            // What was removed before the failure is logged with it; the next run finishes the rest.
            await FinishAsync(org, runId.Value, actor, "failed", counts, policy, e.GetType().Name + ": " + e.Message);
            throw;
        }
        if (runId is { } id)
        {
            await FinishAsync(org, id, actor, "done", counts, policy, null);
            if (counts[RetentionSteps.PendingPeople] + counts[RetentionSteps.UnsubscribedPeople] > 0)
                scrubber.Request();
        }
        return new RetentionRunResult(org.Id, runId, dryRun, false, counts);
    }

    // Erases people one at a time through the erasure of Article 17 (each its own transaction), taking the next ones by id.
    private async Task<long> EraseAsync(long orgId, Func<long, Task<IReadOnlyList<RetentionPerson>>> next, bool suppress, long now, IProgress<long> progress, CancellationToken ct)
    {
        var erasure = new SubscriberErasure(db, orgId);
        long done = 0, after = 0;
        while (true)
        {
            var people = await next(after);
            if (people.Count == 0)
                return done;
            foreach (var person in people)
            {
                // An erasure by retention is told to the registered recipients like any other (Article 19).
                var notify = await recipients.PrepareAsync(orgId, RecipientEvents.Erased, new EventSubject(person.Id, person.Email),
                    new { suppressed = suppress, reason = "retention" }, ct);
                await erasure.EraseAsync(person.Email, SuppressionKey.ForStored(db.SuppressionKey, person.Email), now, ct, notify, suppress);
                if (notify.Count > 0)
                    recipients.Wake();
                after = person.Id;
                progress.Report(++done);
            }
        }
    }

    private async Task FinishAsync(OrganisationRow org, long runId, string actor, string status, Dictionary<string, long> counts, RetentionPolicy policy, string? error)
    {
        var json = JsonSerializer.Serialize(counts);
        // The log and the audit entry are written even when the run was cancelled: what was removed has been removed.
        await For(org.Id).FinishRunAsync(runId, status, json, error, clock.GetUtcNow().ToUnixTimeMilliseconds(),
            audit.Entry(org.Id, actor, AuditActions.RetentionRun, "retention_run:" + runId,
                new { status, removed = counts.Where(c => c.Value > 0).ToDictionary(), policy }), CancellationToken.None);
        log.LogInformation("Retention run {RunId} of organisation {OrgId} {Status}: {Counts}", runId, org.Id, status, json);
    }

    // An IProgress that reports on the caller's thread.
    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>Runs <see cref="RetentionService.RunScheduledAsync"/> once a day at <c>Lupa:Retention:Hour</c>, and at start when today's hour has passed.</summary>
public sealed class RetentionWorker(RetentionService retention, IOptions<LupaOptions> options, TimeProvider clock, ILogger<RetentionWorker> log) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        DailySchedule.RunAsync(clock, options.Value.Retention.Hour, options.Value.Privacy.Zone(), (now, ct) => retention.RunScheduledAsync(now, ct), log,
            "The daily retention run", stoppingToken);
}
