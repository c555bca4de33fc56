using Dapper;

namespace Lupa.Storage;

#pragma warning disable CS1591 // row types mirror their tables; the columns are documented in the migrations

public sealed class TrackingCountRow
{
    public int Kind { get; init; }
    public int LinkId { get; init; }
    public int Machine { get; init; }
    public long Hour { get; init; }
    public long Total { get; init; }
}

public sealed class TrackingPeopleRow
{
    public int Kind { get; init; }
    public int LinkId { get; init; }
    public int Machine { get; init; }
    public long People { get; init; }
}

public sealed class CampaignLinkRow
{
    public int LinkId { get; init; }
    public int Position { get; init; }
    public string Url { get; init; } = "";
}

public sealed class PersonTrackingRow
{
    public long CampaignId { get; init; }
    public string CampaignName { get; init; } = "";
    public int Kind { get; init; }
    public string? Url { get; init; }
    public int Machine { get; init; }
    public long At { get; init; }
}

#pragma warning restore CS1591

/// <summary>
/// One organisation's tracking: whether it keeps individual events, what its campaigns' reports read, and a
/// person's events (for their access report and their objection). Every statement filters on the organisation.
/// </summary>
public sealed class TrackingStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    /// <summary>Whether the organisation keeps individual opens and clicks (of people who have not objected to profiling).</summary>
    public async Task<bool> IndividualTrackingAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT individual_tracking FROM organisations WHERE id = @OrgId", new { OrgId }, cancellationToken: ct)) == 1;
    }

    /// <summary>Turns individual tracking on or off.</summary>
    public async Task SetIndividualTrackingAsync(bool on, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE organisations SET individual_tracking = @value WHERE id = @OrgId", new { OrgId, value = on ? 1 : 0 }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>A campaign's counts by kind, link, human or machine and hour.</summary>
    public async Task<IReadOnlyList<TrackingCountRow>> CountsAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<TrackingCountRow>(new CommandDefinition(
            """
            SELECT t.kind, t.link_id, t.machine, t.hour, t.total FROM tracking_counts t
            JOIN campaigns k ON k.id = t.campaign_id AND k.org_id = @OrgId
            WHERE t.campaign_id = @campaignId ORDER BY t.hour, t.kind, t.link_id, t.machine
            """, new { OrgId, campaignId }, cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// How many recipients opened and clicked: the distinct messages' tags per kind and human or machine (link -1),
    /// and per link for clicks. No person is read; the same in both tracking modes.
    /// </summary>
    public async Task<IReadOnlyList<TrackingPeopleRow>> UniquesAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<TrackingPeopleRow>(new CommandDefinition(
            """
            SELECT t.kind, -1 AS link_id, t.machine, count(DISTINCT t.tag) AS people FROM tracking_tags t
            JOIN campaigns k ON k.id = t.campaign_id AND k.org_id = @OrgId
            WHERE t.campaign_id = @campaignId GROUP BY t.kind, t.machine
            UNION ALL
            SELECT t.kind, t.link_id, t.machine, count(*) AS people FROM tracking_tags t
            JOIN campaigns k ON k.id = t.campaign_id AND k.org_id = @OrgId
            WHERE t.campaign_id = @campaignId AND t.kind = 2 GROUP BY t.kind, t.link_id, t.machine
            """, new { OrgId, campaignId }, cancellationToken: ct))).AsList();
    }

    /// <summary>Whether the campaign has any individual events (kept with the person).</summary>
    public async Task<bool> HasEventsAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT 1 FROM tracking_events WHERE org_id = @OrgId AND campaign_id = @campaignId LIMIT 1", new { OrgId, campaignId }, cancellationToken: ct)) is not null;
    }

    /// <summary>The links the campaign's messages carried through the click redirect.</summary>
    public async Task<IReadOnlyList<CampaignLinkRow>> LinksAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CampaignLinkRow>(new CommandDefinition(
            """
            SELECT l.link_id, l.position, l.url FROM campaign_links l JOIN campaigns k ON k.id = l.campaign_id AND k.org_id = @OrgId
            WHERE l.campaign_id = @campaignId ORDER BY l.position
            """, new { OrgId, campaignId }, cancellationToken: ct))).AsList();
    }

    /// <summary>Recipients a relay accepted whose message then bounced (hard or soft): sent but not delivered.</summary>
    public async Task<long> BouncedAfterSendAsync(long campaignId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT count(DISTINCT b.subscriber_id) FROM bounce_events b
            JOIN campaign_recipients r ON r.campaign_id = b.campaign_id AND r.subscriber_id = b.subscriber_id AND r.state = 1
            WHERE b.org_id = @OrgId AND b.campaign_id = @campaignId AND b.kind IN ('hard', 'soft')
            """, new { OrgId, campaignId }, cancellationToken: ct));
    }

    /// <summary>A person's individual opens and clicks, oldest first (for their access report).</summary>
    public async Task<IReadOnlyList<PersonTrackingRow>> PersonEventsAsync(long subscriberId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PersonTrackingRow>(new CommandDefinition(
            """
            SELECT e.campaign_id, k.name AS campaign_name, e.kind, l.url, e.machine, e.at FROM tracking_events e
            JOIN campaigns k ON k.id = e.campaign_id
            LEFT JOIN campaign_links l ON l.campaign_id = e.campaign_id AND l.link_id = e.link_id AND e.kind = 2
            WHERE e.org_id = @OrgId AND e.subscriber_id = @subscriberId ORDER BY e.at, e.id
            """, new { OrgId, subscriberId }, cancellationToken: ct))).AsList();
    }

    /// <summary>Inside the caller's transaction: deletes a person's individual events (objection to profiling, erasure).</summary>
    public static Task<int> DeletePersonEventsAsync(WriteTransaction tx, long orgId, long subscriberId) =>
        tx.Connection.ExecuteAsync("DELETE FROM tracking_events WHERE org_id = @orgId AND subscriber_id = @subscriberId", new { orgId, subscriberId }, tx.Transaction);
}
