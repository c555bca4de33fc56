using Dapper;
using Lupa.Domain;
using Lupa.Domain.Privacy;

namespace Lupa.Storage;

/// <summary>One run of the retention job for one organisation, as logged.</summary>
public sealed class RetentionRunRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long StartedAt { get; init; }
    public long? FinishedAt { get; init; }
    public string Actor { get; init; } = "";
    public string Status { get; init; } = "";
    public string Counts { get; init; } = "{}";
    public string? Error { get; init; }
    public string? ScheduledDay { get; init; }
}

/// <summary>An organisation's retention policy as stored, with who set it (null for the defaults).</summary>
public sealed record StoredRetentionPolicy(RetentionPolicy Policy, long? UpdatedAt, string? UpdatedBy);

/// <summary>A person the retention job removes: the subscriber's id and address.</summary>
public sealed record RetentionPerson(long Id, string Email);

/// <summary>
/// One organisation's retention: its policy, the log of runs, and the SQL of each step. A step given
/// <c>dryRun</c> only counts what it would remove. Steps work in batches of at most <see cref="Batch"/> rows per
/// transaction, so SQLite's single writer is never held for long; they are idempotent, so a run that stopped
/// half-way is finished by the next one.
/// </summary>
public sealed class RetentionStore(LupaDatabase db, long orgId)
{
    /// <summary>Rows removed per transaction.</summary>
    public const int Batch = 5000;

    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    // A person with an open data-subject request is kept as they are until it is answered.
    private const string NoOpenRequest =
        "NOT EXISTS (SELECT 1 FROM privacy_requests q WHERE q.org_id = s.org_id AND q.subject_email = s.email AND q.status IN ('verified', 'in_progress', 'extended'))";

    private const string ClosedStatuses = "('completed', 'refused', 'withdrawn')";

    // ---- policy and settings ----------------------------------------------------------------

    /// <summary>The policy in force: the organisation's own, or the defaults.</summary>
    public async Task<StoredRetentionPolicy> GetPolicyAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var r = await c.QuerySingleOrDefaultAsync<PolicyRow>("SELECT * FROM retention_policies WHERE org_id = @OrgId", new { OrgId });
        return r is not null
            ? new StoredRetentionPolicy(new RetentionPolicy(r.PendingDays, r.TrackingMonths, r.UnsubscribedMonths, r.ClosedRequestYears), r.UpdatedAt, r.UpdatedBy)
            : new StoredRetentionPolicy(RetentionPolicy.Default, null, null);
    }

    /// <summary>Stores the policy (already validated), with the audit entry that records the change, in one transaction.</summary>
    public async Task SetPolicyAsync(RetentionPolicy p, AuditEntry audit, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            """
            INSERT INTO retention_policies (org_id, pending_days, tracking_months, unsubscribed_months, closed_request_years, updated_at, updated_by)
            VALUES (@OrgId, @PendingDays, @TrackingMonths, @UnsubscribedMonths, @ClosedRequestYears, @At, @Actor)
            ON CONFLICT (org_id) DO UPDATE SET pending_days = excluded.pending_days, tracking_months = excluded.tracking_months,
              unsubscribed_months = excluded.unsubscribed_months, closed_request_years = excluded.closed_request_years,
              updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """,
            new { OrgId, p.PendingDays, p.TrackingMonths, p.UnsubscribedMonths, p.ClosedRequestYears, audit.At, audit.Actor }, tx.Transaction);
        await AuditStore.AppendInAsync(db, tx, [audit]);
        await tx.CommitAsync(ct);
    }

    // ---- the run log ----------------------------------------------------------------------------

    /// <summary>
    /// Logs the start of a run; returns its id, or null when <paramref name="scheduledDay"/> is given and that day's run
    /// of this organisation was started already (by this node before a restart, or by another node).
    /// </summary>
    public async Task<long?> StartRunAsync(string actor, long now, string? scheduledDay, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long?>(
            """
            INSERT INTO retention_runs (org_id, started_at, actor, status, scheduled_day) VALUES (@OrgId, @now, @actor, 'running', @scheduledDay)
            ON CONFLICT (org_id, scheduled_day) WHERE scheduled_day IS NOT NULL DO NOTHING
            RETURNING id
            """,
            new { OrgId, now, actor, scheduledDay }, tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Logs the end of a run with what it removed, and its audit entry, in one transaction.</summary>
    public async Task FinishRunAsync(long id, string status, string counts, string? error, long finishedAt, AuditEntry audit, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            "UPDATE retention_runs SET status = @status, counts = @counts, error = @error, finished_at = @finishedAt WHERE org_id = @OrgId AND id = @id",
            new { OrgId, id, status, counts, error, finishedAt }, tx.Transaction);
        await AuditStore.AppendInAsync(db, tx, [audit]);
        await tx.CommitAsync(ct);
    }

    /// <summary>One run of this organisation, or null.</summary>
    public async Task<RetentionRunRow?> GetRunAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<RetentionRunRow>("SELECT * FROM retention_runs WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>The organisation's runs, newest first, before <paramref name="beforeId"/> (0 for the newest).</summary>
    public async Task<IReadOnlyList<RetentionRunRow>> ListRunsAsync(int limit, long beforeId = 0, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var before = beforeId <= 0 ? long.MaxValue : beforeId;
        return (await c.QueryAsync<RetentionRunRow>(
            "SELECT * FROM retention_runs WHERE org_id = @OrgId AND id < @before ORDER BY id DESC LIMIT @limit", new { OrgId, before, limit })).AsList();
    }

    // ---- pending: never confirmed -----------------------------------------------------------------

    private const string PendingCandidate =
        """
        FROM subscriptions p JOIN subscribers s ON s.id = p.subscriber_id
        WHERE p.org_id = @OrgId AND p.status = 'pending' AND coalesce(p.request_at, p.created_at) < @cutoff AND s.restricted_at IS NULL
        """;

    /// <summary>
    /// Subscriptions requested before <paramref name="cutoff"/> and never confirmed: one never confirmed nor withdrawn
    /// is deleted; a renewed request after a withdrawal goes back to unsubscribed (the withdrawal stays the record).
    /// </summary>
    public async Task<long> PurgePendingSubscriptionsAsync(long cutoff, bool dryRun, IProgress<long>? progress, CancellationToken ct = default)
    {
        if (dryRun)
            return await CountAsync($"SELECT count(*) {PendingCandidate} AND {NoOpenRequest}", new { OrgId, cutoff }, ct);
        long done = 0;
        while (true)
        {
            await using var tx = await db.BeginWriteAsync(ct);
            var rows = (await tx.Connection.QueryAsync<(long Id, long Never)>(
                $"""
                SELECT p.id, CASE WHEN p.confirmed_at IS NULL AND p.unsubscribed_at IS NULL THEN 1 ELSE 0 END {PendingCandidate} AND {NoOpenRequest}
                ORDER BY p.id LIMIT @Batch
                """, new { OrgId, cutoff, Batch }, tx.Transaction)).AsList();
            if (rows.Count == 0)
                return done;
            var never = rows.Where(r => r.Never == 1).Select(r => r.Id).ToList();
            var renewed = rows.Where(r => r.Never == 0).Select(r => r.Id).ToList();
            await tx.Connection.ExecuteAsync($"DELETE FROM subscriptions WHERE org_id = @OrgId AND id {db.InIds("ids")}", new { OrgId, ids = db.IdsValue(never) }, tx.Transaction);
            await tx.Connection.ExecuteAsync(
                $"""
                UPDATE subscriptions SET status = 'unsubscribed', request_at = NULL, request_ip = NULL, request_user_agent = NULL, request_source = NULL,
                  request_wording_version = NULL, request_notice_version = NULL, confirmation_sent_at = NULL
                WHERE org_id = @OrgId AND id {db.InIds("ids")}
                """, new { OrgId, ids = db.IdsValue(renewed) }, tx.Transaction);
            await tx.CommitAsync(ct);
            done += rows.Count;
            progress?.Report(done);
        }
    }

    // People who never gave consent and hold no subscription but unconfirmed ones from before the cutoff.
    private const string NeverConfirmed =
        """
        FROM subscribers s
        WHERE s.org_id = @OrgId AND s.created_at < @cutoff AND s.restricted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM consent_records r WHERE r.subscriber_id = s.id)
          AND NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.org_id = @OrgId AND x.subscriber_id = s.id
                          AND NOT (x.status = 'pending' AND x.confirmed_at IS NULL AND x.unsubscribed_at IS NULL AND coalesce(x.request_at, x.created_at) < @cutoff))
        """;

    /// <summary>How many people would be removed as never confirmed (before <see cref="PurgePendingSubscriptionsAsync"/> runs).</summary>
    public Task<long> CountNeverConfirmedAsync(long cutoff, CancellationToken ct = default) =>
        CountAsync($"SELECT count(*) {NeverConfirmed} AND {NoOpenRequest}", new { OrgId, cutoff }, ct);

    /// <summary>The next people (after id <paramref name="afterId"/>) held only for unconfirmed requests from before the cutoff.</summary>
    public Task<IReadOnlyList<RetentionPerson>> NeverConfirmedAsync(long cutoff, long afterId, int limit, CancellationToken ct = default) =>
        PeopleAsync($"SELECT s.id, s.email {NeverConfirmed} AND {NoOpenRequest} AND s.id > @afterId ORDER BY s.id LIMIT @limit", new { OrgId, cutoff, afterId, limit }, ct);

    /// <summary>Self-service requests received before the cutoff whose verification link was never opened.</summary>
    public Task<long> PurgeUnverifiedRequestsAsync(long cutoff, bool dryRun, CancellationToken ct = default) =>
        DeleteInBatchesAsync("privacy_requests", "org_id = @OrgId AND status = 'received' AND received_at < @cutoff", new { OrgId, cutoff }, dryRun, null, ct);

    // ---- delivery and tracking records ---------------------------------------------------------------

    /// <summary>
    /// Recipient rows of campaigns that finished (sent or cancelled) before the cutoff. The campaign keeps its counts
    /// (total, sent, failed, skipped, bounces, complaints).
    /// </summary>
    public async Task<long> PurgeCampaignRecipientsAsync(long cutoff, bool dryRun, IProgress<long>? progress, CancellationToken ct = default)
    {
        const string finished = "c.org_id = @OrgId AND c.status IN ('sent', 'cancelled') AND c.finished_at < @cutoff";
        if (dryRun)
            return await CountAsync($"SELECT count(*) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE {finished}", new { OrgId, cutoff }, ct);
        List<long> campaigns;
        await using (var c = await db.OpenAsync(ct))
        {
            campaigns = (await c.QueryAsync<long>(
                $"SELECT c.id FROM campaigns c WHERE {finished} AND EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = c.id) ORDER BY c.id",
                new { OrgId, cutoff })).AsList();
        }
        long done = 0;
        foreach (var campaignId in campaigns)
        {
            // The campaign belongs to this organisation (checked above); its rows are found by campaign id.
            done += await DeleteInBatchesAsync("campaign_recipients",
                "campaign_id = @campaignId AND subscriber_id IN (SELECT subscriber_id FROM campaign_recipients WHERE campaign_id = @campaignId LIMIT @Batch)",
                new { campaignId }, false, progress, ct, keyed: false, reported: done);
        }
        return done;
    }

    /// <summary>Bounce and complaint events received before the cutoff (the counts per campaign and organisation stay).</summary>
    public Task<long> PurgeBounceEventsAsync(long cutoff, bool dryRun, IProgress<long>? progress, CancellationToken ct = default) =>
        DeleteInBatchesAsync("bounce_events", "org_id = @OrgId AND received_at < @cutoff", new { OrgId, cutoff }, dryRun, progress, ct);

    /// <summary>
    /// Individual opens and clicks (kept only under individual tracking) older than the cutoff. Every one of them was
    /// also added to the campaign's counts, which name no one, when it was recorded: the report keeps its figures.
    /// </summary>
    public Task<long> PurgeTrackingEventsAsync(long cutoff, bool dryRun, IProgress<long>? progress, CancellationToken ct = default) =>
        DeleteInBatchesAsync("tracking_events", "org_id = @OrgId AND at < @cutoff", new { OrgId, cutoff }, dryRun, progress, ct);

    /// <summary>System and transactional mail sent or given up before the cutoff (the message with its recipient's address).</summary>
    public Task<long> PurgeOutboxAsync(long cutoff, bool dryRun, IProgress<long>? progress, CancellationToken ct = default) =>
        DeleteInBatchesAsync("outbox", "org_id = @OrgId AND (sent_at IS NOT NULL OR failed_at IS NOT NULL) AND coalesce(sent_at, failed_at) < @cutoff",
            new { OrgId, cutoff }, dryRun, progress, ct);

    // ---- unsubscribed people ----------------------------------------------------------------------

    // Nothing but withdrawn subscriptions, the last withdrawn before the cutoff (a person without any: last changed before it).
    private const string Unsubscribed =
        """
        FROM subscribers s
        WHERE s.org_id = @OrgId AND s.restricted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.org_id = @OrgId AND x.subscriber_id = s.id AND x.status <> 'unsubscribed')
          AND coalesce((SELECT max(x.unsubscribed_at) FROM subscriptions x WHERE x.org_id = @OrgId AND x.subscriber_id = s.id), s.updated_at) < @cutoff
        """;

    /// <summary>How many people are due for erasure after unsubscribing.</summary>
    public Task<long> CountUnsubscribedAsync(long cutoff, CancellationToken ct = default) =>
        CountAsync($"SELECT count(*) {Unsubscribed} AND {NoOpenRequest}", new { OrgId, cutoff }, ct);

    /// <summary>The next people (after id <paramref name="afterId"/>) due for erasure after unsubscribing.</summary>
    public Task<IReadOnlyList<RetentionPerson>> UnsubscribedAsync(long cutoff, long afterId, int limit, CancellationToken ct = default) =>
        PeopleAsync($"SELECT s.id, s.email {Unsubscribed} AND {NoOpenRequest} AND s.id > @afterId ORDER BY s.id LIMIT @limit", new { OrgId, cutoff, afterId, limit }, ct);

    // ---- closed requests ----------------------------------------------------------------------------

    /// <summary>
    /// Closed requests (closed before <paramref name="cutoff"/>) that still carry the person's address: the address
    /// becomes its keyed hash and the person's words are blanked, as after an erasure.
    /// </summary>
    public async Task<long> RemoveRequestAddressesAsync(long cutoff, bool dryRun, long now, CancellationToken ct = default)
    {
        var where = $"org_id = @OrgId AND status IN {ClosedStatuses} AND subject_email IS NOT NULL AND coalesce(closed_at, updated_at) < @cutoff";
        if (dryRun)
            return await CountAsync($"SELECT count(*) FROM privacy_requests WHERE {where}", new { OrgId, cutoff }, ct);
        long done = 0;
        while (true)
        {
            await using var tx = await db.BeginWriteAsync(ct);
            var rows = (await tx.Connection.QueryAsync<(long Id, string Email)>(
                $"SELECT id, subject_email FROM privacy_requests WHERE {where} ORDER BY id LIMIT @Batch", new { OrgId, cutoff, Batch }, tx.Transaction)).AsList();
            if (rows.Count == 0)
                return done;
            foreach (var (id, email) in rows)
            {
                await tx.Connection.ExecuteAsync(
                    "UPDATE privacy_requests SET subject_email = NULL, subject_hash = @hash, details = '', updated_at = @now WHERE org_id = @OrgId AND id = @id",
                    new { OrgId, id, hash = SuppressionKey.ForStored(db.SuppressionKey, email), now }, tx.Transaction);
            }
            await tx.CommitAsync(ct);
            done += rows.Count;
        }
    }

    /// <summary>Closed requests closed before the cutoff.</summary>
    public Task<long> PurgeClosedRequestsAsync(long cutoff, bool dryRun, CancellationToken ct = default) =>
        DeleteInBatchesAsync("privacy_requests", $"org_id = @OrgId AND status IN {ClosedStatuses} AND coalesce(closed_at, updated_at) < @cutoff",
            new { OrgId, cutoff }, dryRun, null, ct);

    private sealed class PolicyRow
    {
        public int PendingDays { get; init; }
        public int TrackingMonths { get; init; }
        public int UnsubscribedMonths { get; init; }
        public int ClosedRequestYears { get; init; }
        public long UpdatedAt { get; init; }
        public string UpdatedBy { get; init; } = "";
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private async Task<long> CountAsync(string sql, object args, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    private async Task<IReadOnlyList<RetentionPerson>> PeopleAsync(string sql, object args, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<RetentionPerson>(new CommandDefinition(sql, args, cancellationToken: ct))).AsList();
    }

    // Deletes the rows the condition selects, at most a batch per transaction (by id, or by the condition itself when
    // the table has no id: it must then select at most a batch). Counts instead for a dry run.
    private async Task<long> DeleteInBatchesAsync(string table, string where, object args, bool dryRun, IProgress<long>? progress, CancellationToken ct,
        bool keyed = true, long reported = 0)
    {
        if (dryRun)
            return await CountAsync($"SELECT count(*) FROM {table} WHERE {where}", args, ct);
        var parameters = new DynamicParameters(args);
        parameters.Add("Batch", Batch);
        var delete = keyed ? $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT @Batch)" : $"DELETE FROM {table} WHERE {where}";
        long done = 0;
        while (true)
        {
            int n;
            await using (var tx = await db.BeginWriteAsync(ct))
            {
                n = await tx.Connection.ExecuteAsync(delete, parameters, tx.Transaction);
                await tx.CommitAsync(ct);
            }
            done += n;
            if (n > 0)
                progress?.Report(reported + done);
            if (n < Batch)
                return done;
        }
    }
}
