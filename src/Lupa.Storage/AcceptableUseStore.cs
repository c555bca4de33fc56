using Dapper;
using Lupa.Domain.AcceptableUse;

namespace Lupa.Storage;

#pragma warning disable CS1591 // row types mirror their tables; the columns are documented in the migrations

public sealed class SuspensionRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string OrgName { get; init; } = "";
    public string OrgSlug { get; init; } = "";
    public long? CampaignId { get; init; }
    public string Measure { get; init; } = "";
    public string Reason { get; init; } = "";
    public long SuspendedAt { get; init; }
    public long? ReviewedAt { get; init; }
    public string? ReviewedBy { get; init; }
    public string? ReviewNote { get; init; }
    public long? LiftedAt { get; init; }
    public string? LiftedBy { get; init; }
}

/// <summary>The counters the policy measures.</summary>
public abstract class SendingFiguresRow
{
    public long Sent { get; init; }
    public long Failed { get; init; }
    public long HardBounces { get; init; }
    public long Complaints { get; init; }
    public long Unsubscribes { get; init; }

    public SendingFigures Figures => new(Sent, Failed, HardBounces, Complaints, Unsubscribes);
}

/// <summary>A campaign's figures as the policy reads them.</summary>
public sealed class CampaignPolicyRow : SendingFiguresRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Name { get; init; } = "";
    public string Status { get; init; } = "";
    public long? PolicyStoppedAt { get; init; }
}

/// <summary>An organisation's campaigns added up over a window, for the operator's dashboard.</summary>
public sealed class OrganisationSendingRow : SendingFiguresRow
{
    public long OrgId { get; init; }
    public string Slug { get; init; } = "";
    public string Name { get; init; } = "";
    public long Campaigns { get; init; }
}

#pragma warning restore CS1591

/// <summary>What stopping a campaign did.</summary>
/// <param name="Stopped">This call stopped it (false: another call, or another node, had already).</param>
/// <param name="SuspensionId">The suspension this call opened, or null when the organisation was suspended already.</param>
public readonly record struct CampaignStop(bool Stopped, long? SuspensionId);

/// <summary>
/// The acceptable use policy's data across organisations, for the policy's checks and the operator:
/// campaigns' figures, organisations' figures over a window, and suspensions. Every change is a
/// conditional statement, so two nodes checking the same campaign at once stop and suspend only once.
/// </summary>
public sealed class AcceptableUseStore(LupaDatabase db)
{
    // sum() of bigint is numeric on PostgreSQL: cast back, so both engines answer with 64-bit integers.
    private const string Sums = """
        count(k.id) AS campaigns, CAST(COALESCE(sum(k.sent), 0) AS bigint) AS sent, CAST(COALESCE(sum(k.failed), 0) AS bigint) AS failed,
        CAST(COALESCE(sum(k.hard_bounces), 0) AS bigint) AS hard_bounces, CAST(COALESCE(sum(k.complaints), 0) AS bigint) AS complaints,
        CAST(COALESCE(sum(k.unsubscribes), 0) AS bigint) AS unsubscribes
        """;

    private const string SuspensionSelect = """
        SELECT s.*, o.name AS org_name, o.slug AS org_slug FROM suspensions s JOIN organisations o ON o.id = s.org_id
        """;

    /// <summary>A campaign's figures, or null when there is no such campaign.</summary>
    public async Task<CampaignPolicyRow?> CampaignAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<CampaignPolicyRow>(
            "SELECT id, org_id, name, status, sent, failed, hard_bounces, complaints, unsubscribes, policy_stopped_at FROM campaigns WHERE id = @campaignId",
            new { campaignId });
    }

    /// <summary>An organisation's campaigns that started at or after <paramref name="since"/>, added up.</summary>
    public async Task<SendingFigures> OrganisationFiguresAsync(long orgId, long since, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleAsync<OrganisationSendingRow>(
            $"SELECT {Sums} FROM campaigns k WHERE k.org_id = @orgId AND k.started_at >= @since", new { orgId, since });
        return row.Figures;
    }

    /// <summary>Every organisation, by name, with its campaigns that started at or after <paramref name="since"/> added up.</summary>
    public async Task<IReadOnlyList<OrganisationSendingRow>> OrganisationsAsync(long since, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<OrganisationSendingRow>(
            $"""
            SELECT o.id AS org_id, o.slug, o.name, {Sums}
            FROM organisations o LEFT JOIN campaigns k ON k.org_id = o.id AND k.started_at >= @since
            GROUP BY o.id, o.slug, o.name ORDER BY o.name
            """,
            new { since })).AsList();
    }

    /// <summary>When the organisation's last suspension was lifted, or null.</summary>
    public async Task<long?> LastLiftedAsync(long orgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>("SELECT max(lifted_at) FROM suspensions WHERE org_id = @orgId", new { orgId });
    }

    /// <summary>The organisation's open suspension, or null while it may send.</summary>
    public async Task<SuspensionRow?> OpenAsync(long orgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SuspensionRow>(SuspensionSelect + " WHERE s.org_id = @orgId AND s.lifted_at IS NULL", new { orgId });
    }

    /// <summary>A suspension by id, or null.</summary>
    public async Task<SuspensionRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SuspensionRow>(SuspensionSelect + " WHERE s.id = @id", new { id });
    }

    /// <summary>Open suspensions, oldest first, or the newest lifted ones.</summary>
    public async Task<IReadOnlyList<SuspensionRow>> ListAsync(bool open, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var sql = SuspensionSelect + (open ? " WHERE s.lifted_at IS NULL ORDER BY s.id" : " WHERE s.lifted_at IS NOT NULL ORDER BY s.lifted_at DESC, s.id DESC") + " LIMIT @limit";
        return (await c.QueryAsync<SuspensionRow>(sql, new { limit })).AsList();
    }

    /// <summary>
    /// Stops a campaign whose rates went over a stop threshold, once: marks it, pauses it (if it is
    /// sending or paused) with <paramref name="campaignReason"/>, and suspends the organisation's sending
    /// (see <see cref="SuspendAsync"/>), in one transaction.
    /// </summary>
    public async Task<CampaignStop> StopCampaignAsync(long orgId, long campaignId, string measure, string campaignReason, string suspensionReason,
        string othersReason, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var marked = await tx.Connection.ExecuteAsync(
            "UPDATE campaigns SET policy_stopped_at = @now WHERE org_id = @orgId AND id = @campaignId AND policy_stopped_at IS NULL",
            new { orgId, campaignId, now }, tx.Transaction);
        if (marked == 0)
            return new CampaignStop(false, null);
        await tx.Connection.ExecuteAsync(
            """
            UPDATE campaigns SET status = 'paused', auto_paused = 0, status_reason = @campaignReason, updated_at = @now
            WHERE org_id = @orgId AND id = @campaignId AND status IN ('sending', 'paused')
            """,
            new { orgId, campaignId, campaignReason, now }, tx.Transaction);
        var suspension = await OpenSuspensionAsync(tx, orgId, campaignId, measure, suspensionReason, othersReason, now);
        await tx.CommitAsync(ct);
        return new CampaignStop(true, suspension);
    }

    /// <summary>
    /// Suspends the organisation's sending unless it is suspended already: opens a suspension and pauses
    /// every campaign of it that is sending, or paused by a relay's failures (which would otherwise resume
    /// by itself), with <paramref name="othersReason"/>. Returns the new suspension's id, or null.
    /// </summary>
    public async Task<long?> SuspendAsync(long orgId, string measure, string reason, string othersReason, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await OpenSuspensionAsync(tx, orgId, null, measure, reason, othersReason, now);
        await tx.CommitAsync(ct);
        return id;
    }

    private static async Task<long?> OpenSuspensionAsync(WriteTransaction tx, long orgId, long? campaignId, string measure, string reason, string othersReason, long now)
    {
        var id = await tx.Connection.ExecuteScalarAsync<long?>(
            """
            INSERT INTO suspensions (org_id, campaign_id, measure, reason, suspended_at) VALUES (@orgId, @campaignId, @measure, @reason, @now)
            ON CONFLICT (org_id) WHERE lifted_at IS NULL DO NOTHING RETURNING id
            """,
            new { orgId, campaignId, measure, reason, now }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            """
            UPDATE campaigns SET status = 'paused', auto_paused = 0, status_reason = @othersReason, updated_at = @now
            WHERE org_id = @orgId AND (status = 'sending' OR (status = 'paused' AND auto_paused = 1))
            """,
            new { orgId, othersReason, now }, tx.Transaction);
        return id;
    }

    /// <summary>The operator's review that keeps the suspension, with a note the organisation reads. False when it is not open.</summary>
    public Task<bool> KeepAsync(long id, string by, string? note, long now, CancellationToken ct = default) =>
        ReviewAsync("UPDATE suspensions SET reviewed_at = @now, reviewed_by = @by, review_note = @note WHERE id = @id AND lifted_at IS NULL", id, by, note, now, ct);

    /// <summary>The operator's review that lifts the suspension: the organisation may send again. False when it is not open.</summary>
    public Task<bool> LiftAsync(long id, string by, string? note, long now, CancellationToken ct = default) =>
        ReviewAsync(
            "UPDATE suspensions SET reviewed_at = @now, reviewed_by = @by, review_note = @note, lifted_at = @now, lifted_by = @by WHERE id = @id AND lifted_at IS NULL",
            id, by, note, now, ct);

    private async Task<bool> ReviewAsync(string sql, long id, string by, string? note, long now, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(sql, new { id, by, note, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }
}
