using Dapper;

namespace Lupa.Storage;

/// <summary>What a sender learnt about one recipient.</summary>
public readonly record struct RecipientResult(long SubscriberId, RecipientOutcome Outcome, string? Detail = null, long RetryAt = 0)
{
    /// <summary>The lease the recipient was claimed under; a result that is not a send only applies while that lease holds (0: always).</summary>
    public long LeaseUntil { get; init; }

    /// <summary>
    /// For a failure the relay's 5xx answer caused: the bounce it counts as (<see cref="Lupa.Domain.Bounces.BounceKinds"/>
    /// hard or soft), recorded with the failure. Null for every other failure (a template error, too many tries).
    /// </summary>
    public string? Bounce { get; init; }

    /// <summary>The enhanced status code of <see cref="Bounce"/>.</summary>
    public string? BounceStatus { get; init; }
}

/// <summary>How one recipient's turn ended.</summary>
public enum RecipientOutcome
{
    /// <summary>The relay accepted the message.</summary>
    Sent,

    /// <summary>Never to be sent: a 5xx answer, a template error, or too many tries.</summary>
    Failed,

    /// <summary>To be tried again at <see cref="RecipientResult.RetryAt"/>.</summary>
    Retry,

    /// <summary>No longer wanted when its turn came (unsubscribed, suppressed, restricted, erased).</summary>
    Skipped,

    /// <summary>Not really tried (the campaign was paused, the node is stopping, no relay could be reached): back to the queue, due at <see cref="RecipientResult.RetryAt"/> (0 for at once), without counting a try.</summary>
    Released,
}

/// <summary>
/// The send queue of every organisation's campaigns, for the sending workers of all nodes. Recipients
/// are claimed in batches under a lease (with FOR UPDATE SKIP LOCKED on PostgreSQL, so nodes never
/// take the same rows); a recipient whose node died is claimable again when its lease runs out.
/// </summary>
public sealed class CampaignQueue(LupaDatabase db, Lupa.Domain.Bounces.SoftBouncePolicy? softBounces = null)
{
    private readonly BounceRecorder _bounces = new(db, softBounces);

    private const string Claimable = "campaign_id = @campaignId AND state = 0 AND due_at <= @now AND (lease_until IS NULL OR lease_until < @now)";

    /// <summary>The organisation a campaign belongs to, or null when there is no such campaign (for the operator's terminal verbs).</summary>
    public async Task<long?> OrganisationOfAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>("SELECT org_id FROM campaigns WHERE id = @campaignId", new { campaignId });
    }

    /// <summary>Campaigns whose scheduled time has come.</summary>
    public async Task<IReadOnlyList<CampaignRow>> DueScheduledAsync(long now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CampaignRow>("SELECT * FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= @now ORDER BY scheduled_at", new { now })).AsList();
    }

    /// <summary>Campaigns being sent, and those paused by the relay's failures (to be resumed when it answers).</summary>
    public async Task<IReadOnlyList<CampaignRow>> ActiveAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CampaignRow>("SELECT * FROM campaigns WHERE status = 'sending' OR (status = 'paused' AND auto_paused = 1) ORDER BY id")).AsList();
    }

    /// <summary>The campaign's status now (it may have been paused or cancelled by anyone).</summary>
    public async Task<string?> StatusAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<string?>("SELECT status FROM campaigns WHERE id = @campaignId", new { campaignId });
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due recipients for <paramref name="leaseMs"/>, with what
    /// their message needs and whether they still want it.
    /// </summary>
    /// <remarks>
    /// Only recipients after <paramref name="afterSubscriberId"/> are looked at: a sender passes the last one it claimed,
    /// so it does not walk over those already sent (on PostgreSQL their old index entries stay until a vacuum), and
    /// starts again from 0 when a claim comes back short, which picks up retries and released recipients.
    /// </remarks>
    public async Task<IReadOnlyList<ClaimedRecipient>> ClaimAsync(CampaignRow campaign, int limit, long now, long leaseMs, long afterSubscriberId = 0, CancellationToken ct = default)
    {
        var campaignId = campaign.Id;
        var leaseUntil = now + leaseMs;
        var lists = db.IdsValue(campaign.ListIdArray());
        var wanted = $"""
            p.restricted_at IS NULL AND p.suppressed_at IS NULL AND EXISTS (SELECT 1 FROM subscriptions s
              WHERE s.subscriber_id = p.id AND s.status = 'confirmed' AND s.list_id {db.InIds("lists")})
            """;
        await using var tx = await db.BeginWriteAsync(ct);
        IReadOnlyList<ClaimedRecipient> rows;
        if (db.IsPostgres)
        {
            rows = (await tx.Connection.QueryAsync<ClaimedRecipient>(
                $"""
                WITH claimed AS (
                  UPDATE campaign_recipients r SET lease_until = @leaseUntil, attempts = r.attempts + 1
                  WHERE r.campaign_id = @campaignId AND r.subscriber_id IN (
                    SELECT subscriber_id FROM campaign_recipients WHERE {Claimable} AND subscriber_id > @after
                    ORDER BY subscriber_id LIMIT @limit FOR UPDATE SKIP LOCKED)
                  RETURNING r.subscriber_id, r.attempts)
                SELECT k.subscriber_id, k.attempts, p.email, p.name, p.language, p.attributes,
                  COALESCE(({wanted}), false) AS wanted, p.objected_profiling_at IS NOT NULL AS objected_profiling
                FROM claimed k LEFT JOIN subscribers p ON p.id = k.subscriber_id
                ORDER BY k.subscriber_id
                """,
                new { campaignId, now, leaseUntil, limit, lists, after = afterSubscriberId }, tx.Transaction)).AsList();
        }
        else
        {
            var ids = (await tx.Connection.QueryAsync<long>(
                $"SELECT subscriber_id FROM campaign_recipients WHERE {Claimable} AND subscriber_id > @after ORDER BY subscriber_id LIMIT @limit",
                new { campaignId, now, limit, after = afterSubscriberId }, tx.Transaction)).AsList();
            if (ids.Count == 0)
                return [];
            var idSet = db.IdsValue(ids);
            await tx.Connection.ExecuteAsync(
                $"UPDATE campaign_recipients SET lease_until = @leaseUntil, attempts = attempts + 1 WHERE campaign_id = @campaignId AND subscriber_id {db.InIds("ids")}",
                new { leaseUntil, campaignId, ids = idSet }, tx.Transaction);
            rows = (await tx.Connection.QueryAsync<ClaimedRecipient>(
                $"""
                SELECT r.subscriber_id, r.attempts, p.email, p.name, p.language, p.attributes,
                  COALESCE(({wanted}), 0) AS wanted, p.objected_profiling_at IS NOT NULL AS objected_profiling
                FROM campaign_recipients r LEFT JOIN subscribers p ON p.id = r.subscriber_id
                WHERE r.campaign_id = @campaignId AND r.subscriber_id {db.InIds("ids")}
                ORDER BY r.subscriber_id
                """,
                new { campaignId, ids = idSet, lists }, tx.Transaction)).AsList();
        }
        await tx.CommitAsync(ct);
        return rows;
    }

    /// <summary>
    /// Writes a batch of results, the campaign's counters and a progress entry in one transaction.
    /// Sent recipients are written in one statement; the rest (rare) one each.
    /// </summary>
    public async Task RecordAsync(long campaignId, IReadOnlyList<RecipientResult> results, long now, CancellationToken ct = default)
    {
        if (results.Count == 0)
            return;
        var sentIds = results.Where(r => r.Outcome == RecipientOutcome.Sent).Select(r => r.SubscriberId).ToList();
        await using var tx = await db.BeginWriteAsync(ct);
        // Counters count rows changed, not results: a recipient another node already recorded is not counted twice.
        var sent = sentIds.Count == 0 ? 0 : await tx.Connection.ExecuteAsync(
            $"UPDATE campaign_recipients SET state = 1, sent_at = @now, lease_until = NULL, last_error = NULL WHERE campaign_id = @campaignId AND state = 0 AND subscriber_id {db.InIds("ids")}",
            new { now, campaignId, ids = db.IdsValue(sentIds) }, tx.Transaction);
        var failed = await SetStateAsync(tx, campaignId, results.Where(r => r.Bounce is null).ToList(), RecipientOutcome.Failed, 2);
        // A relay's refusal is a bounce as well, recorded with the failure it caused (and only if it changed the row).
        foreach (var r in results.Where(r => r.Outcome == RecipientOutcome.Failed && r.Bounce is not null))
        {
            if (await SetStateAsync(tx, campaignId, [r], RecipientOutcome.Failed, 2) == 0)
                continue;
            failed++;
            await _bounces.RecordAsync(tx, new NewBounce(campaignId, r.SubscriberId, r.Bounce!, r.BounceStatus, r.Detail, Lupa.Domain.Bounces.BounceSources.Send, null, now));
        }
        var skipped = await SetStateAsync(tx, campaignId, results, RecipientOutcome.Skipped, 3);
        await SetStateAsync(tx, campaignId, results, RecipientOutcome.Retry, 0);
        await SetStateAsync(tx, campaignId, results, RecipientOutcome.Released, 0);
        if (sent + failed + skipped > 0)
        {
            await tx.Connection.ExecuteAsync(
                "UPDATE campaigns SET sent = sent + @sent, failed = failed + @failed, skipped = skipped + @skipped WHERE id = @campaignId",
                new { sent, failed, skipped, campaignId }, tx.Transaction);
            await tx.Connection.ExecuteAsync(
                "INSERT INTO campaign_progress (campaign_id, at, sent, failed) VALUES (@campaignId, @now, @sent, @failed)",
                new { campaignId, now, sent, failed }, tx.Transaction);
        }
        await tx.CommitAsync(ct);
    }

    // The outcomes other than a send, one statement per recipient (they are few), each only while this
    // node's lease holds and the recipient is still queued. Returns the rows changed.
    private static async Task<int> SetStateAsync(WriteTransaction tx, long campaignId, IReadOnlyList<RecipientResult> results, RecipientOutcome outcome, int state)
    {
        var rows = results.Where(r => r.Outcome == outcome).Select(r => new
        {
            campaignId,
            r.SubscriberId,
            state,
            due = outcome is RecipientOutcome.Retry or RecipientOutcome.Released ? r.RetryAt : 0,
            // A release gives the try back: it was never made.
            back = outcome == RecipientOutcome.Released ? 1 : 0,
            error = r.Detail,
            lease = r.LeaseUntil,
        }).ToList();
        if (rows.Count == 0)
            return 0;
        return await tx.Connection.ExecuteAsync(
            """
            UPDATE campaign_recipients SET state = @state, due_at = @due, lease_until = NULL, attempts = attempts - @back,
              last_error = COALESCE(@error, last_error)
            WHERE campaign_id = @campaignId AND subscriber_id = @SubscriberId AND state = 0 AND (@lease = 0 OR lease_until = @lease)
            """,
            rows, tx.Transaction);
    }

    /// <summary>
    /// Marks the campaign sent when no recipient is left queued. Returns true when it did. A
    /// recipient waiting for a retry is still queued, so the campaign stays sending until it is done.
    /// </summary>
    public async Task<bool> FinishIfDoneAsync(long campaignId, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            """
            UPDATE campaigns SET status = 'sent', finished_at = @now, updated_at = @now
            WHERE id = @campaignId AND status = 'sending'
              AND NOT EXISTS (SELECT 1 FROM campaign_recipients WHERE campaign_id = @campaignId AND state = 0)
            """,
            new { campaignId, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>The earliest time a queued recipient becomes due, or null when none is queued.</summary>
    public async Task<long?> NextDueAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(
            "SELECT min(CASE WHEN lease_until IS NOT NULL AND lease_until > due_at THEN lease_until ELSE due_at END) FROM campaign_recipients WHERE campaign_id = @campaignId AND state = 0",
            new { campaignId });
    }

    /// <summary>Pauses (by the relay's failures) or resumes a campaign paused that way.</summary>
    public async Task<bool> SetAutoPausedAsync(long campaignId, bool paused, string? reason, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            paused
                ? "UPDATE campaigns SET status = 'paused', auto_paused = 1, status_reason = @reason, updated_at = @now WHERE id = @campaignId AND status = 'sending'"
                : """
                  UPDATE campaigns SET status = 'sending', auto_paused = 0, status_reason = NULL, updated_at = @now
                  WHERE id = @campaignId AND status = 'paused' AND auto_paused = 1
                    AND NOT EXISTS (SELECT 1 FROM suspensions s WHERE s.org_id = campaigns.org_id AND s.lifted_at IS NULL)
                  """,
            new { campaignId, reason, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>The organisation-wide suppression hashes of an organisation (hard bounces, complaints, objections, erasures).</summary>
    public async Task<HashSet<string>> OrganisationSuppressionsAsync(long orgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<string>("SELECT address_hash FROM suppressions WHERE org_id = @orgId AND list_id = 0", new { orgId })).ToHashSet();
    }

    /// <summary>Whether an address (by its suppression hash) hard-bounced for the organisation.</summary>
    public async Task<bool> IsHardBouncedAsync(long orgId, string addressHash, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(
            "SELECT 1 FROM suppressions WHERE org_id = @orgId AND address_hash = @addressHash AND reason = 'hard_bounce' LIMIT 1", new { orgId, addressHash }) is not null;
    }
}
