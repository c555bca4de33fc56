using Dapper;
using Lupa.Domain;
using Lupa.Domain.Bounces;

namespace Lupa.Storage;

/// <summary>A bounce or complaint about one campaign message, to be recorded.</summary>
/// <param name="CampaignId">The campaign, as the verified return address or Message-ID names it.</param>
/// <param name="SubscriberId">The recipient, likewise.</param>
/// <param name="Kind">One of <see cref="BounceKinds"/>.</param>
/// <param name="Status">The enhanced status code of a bounce; the feedback type of a complaint.</param>
/// <param name="Diagnostic">The server's words, or who reported the complaint.</param>
/// <param name="Source">One of <see cref="BounceSources"/>.</param>
/// <param name="Raw">The report as it came, if it came as a message.</param>
/// <param name="ReceivedAt">When it came (Unix ms).</param>
public sealed record NewBounce(long CampaignId, long SubscriberId, string Kind, string? Status, string? Diagnostic, string Source, byte[]? Raw, long ReceivedAt);

/// <summary>What recording a bounce did.</summary>
public enum BounceOutcome
{
    /// <summary>Stored and counted, with its effects (suppression, unsubscribe).</summary>
    Recorded,

    /// <summary>The same campaign, recipient and kind was recorded before: nothing changed.</summary>
    Duplicate,

    /// <summary>No such campaign, or the person is not (or no longer, after erasure) in its organisation: nothing stored.</summary>
    Unknown,
}

/// <summary>
/// Records bounces and complaints for every organisation, each with its effects in one transaction: a
/// hard bounce suppresses the address for every list at once; soft bounces do when they reach the
/// policy's count within its window; a complaint withdraws every subscription of the person (recorded as
/// an unsubscribe is) and suppresses with reason <c>complaint</c>. The campaign's and the organisation's
/// counters go up. The organisation is the campaign's, never taken from the report.
/// </summary>
public sealed class BounceRecorder(LupaDatabase db, SoftBouncePolicy? policy = null)
{
    private readonly SoftBouncePolicy _policy = policy ?? SoftBouncePolicy.Default;

    /// <summary>Records one bounce or complaint in a transaction of its own.</summary>
    public async Task<BounceOutcome> RecordAsync(NewBounce bounce, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var outcome = await RecordAsync(tx, bounce);
        if (outcome == BounceOutcome.Recorded)
            await tx.CommitAsync(ct);
        return outcome;
    }

    /// <summary>Records one bounce or complaint inside the caller's transaction.</summary>
    internal async Task<BounceOutcome> RecordAsync(WriteTransaction tx, NewBounce b)
    {
        if (!BounceKinds.IsKnown(b.Kind))
            throw new ArgumentException($"no such bounce kind: {b.Kind}", nameof(b));
        var orgId = await tx.Connection.ExecuteScalarAsync<long?>(
            "SELECT k.org_id FROM campaigns k JOIN subscribers p ON p.org_id = k.org_id AND p.id = @SubscriberId WHERE k.id = @CampaignId",
            new { b.CampaignId, b.SubscriberId }, tx.Transaction);
        if (orgId is not { } org)
            return BounceOutcome.Unknown;
        var id = await tx.Connection.ExecuteScalarAsync<long?>(
            """
            INSERT INTO bounce_events (org_id, campaign_id, subscriber_id, kind, status, diagnostic, source, raw, received_at)
            VALUES (@org, @CampaignId, @SubscriberId, @Kind, @Status, @Diagnostic, @Source, @Raw, @ReceivedAt)
            ON CONFLICT (campaign_id, subscriber_id, kind) DO NOTHING RETURNING id
            """,
            new { org, b.CampaignId, b.SubscriberId, b.Kind, Status = Clip(b.Status, 64), Diagnostic = Clip(b.Diagnostic, 2000), b.Source, b.Raw, b.ReceivedAt },
            tx.Transaction);
        if (id is null)
            return BounceOutcome.Duplicate;
        // The column is chosen from a constant, never from the report.
        var counter = b.Kind switch
        {
            BounceKinds.Hard => "hard_bounces",
            BounceKinds.Soft => "soft_bounces",
            _ => "complaints",
        };
        await tx.Connection.ExecuteAsync($"UPDATE campaigns SET {counter} = {counter} + 1 WHERE id = @CampaignId", new { b.CampaignId }, tx.Transaction);
        await tx.Connection.ExecuteAsync($"UPDATE organisations SET {counter} = {counter} + 1 WHERE id = @org", new { org }, tx.Transaction);
        var people = new OrganisationStore(db, org);
        switch (b.Kind)
        {
            case BounceKinds.Hard:
                await people.SuppressEverywhereAsync(tx, b.SubscriberId, SuppressionReasons.HardBounce, b.ReceivedAt);
                break;
            case BounceKinds.Soft:
                var recent = await tx.Connection.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM bounce_events WHERE org_id = @org AND subscriber_id = @SubscriberId AND kind = 'soft' AND received_at >= @since",
                    new { org, b.SubscriberId, since = _policy.WindowStart(b.ReceivedAt) }, tx.Transaction);
                if (recent >= _policy.Limit)
                    await people.SuppressEverywhereAsync(tx, b.SubscriberId, SuppressionReasons.SoftBounce, b.ReceivedAt);
                break;
            default:
                await people.UnsubscribeEverywhereAsync(tx, b.SubscriberId, ConsentMethods.Complaint, b.ReceivedAt);
                await people.SuppressEverywhereAsync(tx, b.SubscriberId, SuppressionReasons.Complaint, b.ReceivedAt);
                break;
        }
        return BounceOutcome.Recorded;
    }

    /// <summary>Forgets the raw reports received before <paramref name="before"/> (the events stay). Returns how many.</summary>
    public async Task<int> PurgeRawAsync(long before, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE bounce_events SET raw = NULL WHERE raw IS NOT NULL AND received_at < @before", new { before }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n;
    }

    private static string? Clip(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}

/// <summary>Bounce and complaint counts.</summary>
public sealed record BounceCounts(long HardBounces, long SoftBounces, long Complaints);

/// <summary>
/// One organisation's bounces and complaints, for the API and the admin UI. Bound to the organisation
/// like <see cref="OrganisationStore"/>: every statement filters on its id.
/// </summary>
public sealed class BounceStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    /// <summary>A page of events, newest first, optionally of one campaign and one kind.</summary>
    public async Task<IReadOnlyList<BounceEventRow>> ListAsync(long? campaignId, string? kind, long beforeId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BounceEventRow>(
            """
            SELECT e.id, e.campaign_id, k.name AS campaign_name, e.subscriber_id, p.email, e.kind, e.status, e.diagnostic, e.source,
              e.received_at, CASE WHEN e.raw IS NULL THEN 0 ELSE 1 END AS has_raw
            FROM bounce_events e
            LEFT JOIN campaigns k ON k.id = e.campaign_id AND k.org_id = @OrgId
            LEFT JOIN subscribers p ON p.id = e.subscriber_id AND p.org_id = @OrgId
            WHERE e.org_id = @OrgId AND (@campaignId IS NULL OR e.campaign_id = @campaignId) AND (@kind IS NULL OR e.kind = @kind)
              AND e.id < @beforeId
            ORDER BY e.id DESC LIMIT @limit
            """,
            new { OrgId, campaignId, kind, beforeId, limit })).AsList();
    }

    /// <summary>The raw report of an event, or null when there is none (any more, or not of this organisation).</summary>
    public async Task<byte[]?> GetRawAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<byte[]?>("SELECT raw FROM bounce_events WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>The organisation's counts over all its campaigns.</summary>
    public async Task<BounceCounts> CountsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleAsync<BounceCounts>(
            "SELECT hard_bounces AS HardBounces, soft_bounces AS SoftBounces, complaints AS Complaints FROM organisations WHERE id = @OrgId", new { OrgId });
    }
}
