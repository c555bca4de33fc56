using System.Text.Json;
using Dapper;
using Lupa.Domain;
using Lupa.Domain.Campaigns;

namespace Lupa.Storage;

/// <summary>What a marketer writes in a campaign.</summary>
public sealed record CampaignFields(
    string Name, long[] ListIds, string Segment, string FromName, string FromAddress, string? ReplyTo,
    string Subject, string Preheader, string Body, string BodyFormat);

/// <summary>A campaign's place in the send: totals, and what the last seconds sent.</summary>
public sealed record CampaignProgress(long Total, long Sent, long Failed, long Skipped, long Remaining, double RatePerSecond);

/// <summary>
/// One organisation's campaigns, sender domains and layout. Bound to the organisation like
/// <see cref="OrganisationStore"/>: every statement filters on its id.
/// </summary>
public sealed class CampaignStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    // ---- campaigns ----------------------------------------------------------------------

    /// <summary>Creates a draft.</summary>
    public async Task<long> CreateAsync(CampaignFields f, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO campaigns (org_id, name, list_ids, segment, from_name, from_address, reply_to, subject, preheader, body, body_format, status, created_at, updated_at)
            VALUES (@OrgId, @Name, @lists, @Segment, @FromName, @FromAddress, @ReplyTo, @Subject, @Preheader, @Body, @BodyFormat, 'draft', @now, @now)
            RETURNING id
            """,
            new { OrgId, f.Name, lists = JsonSerializer.Serialize(f.ListIds), f.Segment, f.FromName, f.FromAddress, f.ReplyTo, f.Subject, f.Preheader, f.Body, f.BodyFormat, now },
            tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Changes a draft. False when the campaign is missing or no longer a draft.</summary>
    public async Task<bool> UpdateAsync(long id, CampaignFields f, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            """
            UPDATE campaigns SET name = @Name, list_ids = @lists, segment = @Segment, from_name = @FromName, from_address = @FromAddress,
              reply_to = @ReplyTo, subject = @Subject, preheader = @Preheader, body = @Body, body_format = @BodyFormat, updated_at = @now
            WHERE org_id = @OrgId AND id = @id AND status = 'draft'
            """,
            new { OrgId, id, f.Name, lists = JsonSerializer.Serialize(f.ListIds), f.Segment, f.FromName, f.FromAddress, f.ReplyTo, f.Subject, f.Preheader, f.Body, f.BodyFormat, now },
            tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>A campaign of this organisation, or null.</summary>
    public async Task<CampaignRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<CampaignRow>("SELECT * FROM campaigns WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>The organisation's campaigns, newest first.</summary>
    public async Task<IReadOnlyList<CampaignRow>> ListAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CampaignRow>("SELECT * FROM campaigns WHERE org_id = @OrgId ORDER BY id DESC", new { OrgId })).AsList();
    }

    /// <summary>
    /// Moves a campaign from one of <paramref name="from"/> to <paramref name="to"/>. False when it was
    /// not in one of those states (another request got there first).
    /// </summary>
    public async Task<bool> ChangeStatusAsync(long id, string[] from, string to, string? reason, bool autoPaused, long now,
        long? scheduledAt = null, string? timeZone = null, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var finished = to is CampaignStatus.Cancelled or CampaignStatus.Sent ? now : (long?)null;
        var changed = await tx.Connection.ExecuteAsync(
            $"""
            UPDATE campaigns SET status = @to, status_reason = @reason, auto_paused = @auto, updated_at = @now,
              finished_at = COALESCE(@finished, finished_at),
              scheduled_at = CASE WHEN @to = 'scheduled' THEN @scheduledAt WHEN @to = 'draft' THEN NULL ELSE scheduled_at END,
              time_zone = CASE WHEN @to = 'scheduled' THEN @timeZone WHEN @to = 'draft' THEN NULL ELSE time_zone END
            WHERE org_id = @OrgId AND id = @id AND status IN ({string.Join(", ", from.Select(s => $"'{s}'"))})
              AND (@to <> 'sending' OR NOT EXISTS (SELECT 1 FROM suspensions WHERE org_id = @OrgId AND lifted_at IS NULL))
            """,
            new { OrgId, id, to, reason, auto = autoPaused ? 1 : 0, now, finished, scheduledAt, timeZone }, tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    // The people a campaign goes to: confirmed on one of its lists, not restricted, not suppressed,
    // and in the segment; one row per person however many of the lists they are on.
    private string Selection(CampaignRow campaign, Segment segment, DynamicParameters p, long now, string columns)
    {
        p.Add("OrgId", OrgId);
        p.Add("lists", db.IdsValue(campaign.ListIdArray()));
        var where = SegmentSql.Where(segment, db.Provider, p, now, "p", "s");
        return $"""
            SELECT {columns} FROM subscribers p
            WHERE p.org_id = @OrgId AND p.restricted_at IS NULL AND p.suppressed_at IS NULL
              AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.subscriber_id = p.id AND s.status = 'confirmed'
                          AND s.list_id {db.InIds("lists")} AND {where})
            """;
    }

    /// <summary>How many people the campaign would go to now.</summary>
    public async Task<long> CountSelectionAsync(CampaignRow campaign, Segment segment, long now, CancellationToken ct = default)
    {
        var p = new DynamicParameters();
        var sql = $"SELECT count(*) FROM ({Selection(campaign, segment, p, now, "p.id")}) x";
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(sql, p, cancellationToken: ct, commandTimeout: 300));
    }

    /// <summary>Up to <paramref name="limit"/> people of the selection, for the compliance check's trial render.</summary>
    public async Task<IReadOnlyList<SubscriberRow>> SampleSelectionAsync(CampaignRow campaign, Segment segment, long now, int limit, CancellationToken ct = default)
    {
        var p = new DynamicParameters();
        p.Add("limit", limit);
        var sql = Selection(campaign, segment, p, now, "p.*") + " ORDER BY p.id LIMIT @limit";
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<SubscriberRow>(new CommandDefinition(sql, p, cancellationToken: ct, commandTimeout: 300))).AsList();
    }

    /// <summary>
    /// Confirmed subscriptions on the given lists of people who have no record of giving consent to
    /// that list: what the compliance check refuses to send to under the consent legal basis.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, long>> CountWithoutEvidenceAsync(long[] listIds, CancellationToken ct = default)
    {
        if (listIds.Length == 0)
            return new Dictionary<long, long>();
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long ListId, long Count)>(new CommandDefinition(
            $"""
            SELECT s.list_id, count(*) FROM subscriptions s
            WHERE s.org_id = @OrgId AND s.status = 'confirmed' AND s.list_id {db.InIds("lists")}
              AND NOT EXISTS (SELECT 1 FROM consent_records r WHERE r.subscriber_id = s.subscriber_id AND r.list_id = s.list_id AND r.kind = 'grant')
            GROUP BY s.list_id
            """,
            new { OrgId, lists = db.IdsValue(listIds) }, cancellationToken: ct, commandTimeout: 300));
        return rows.ToDictionary(r => r.ListId, r => r.Count);
    }

    /// <summary>
    /// Fixes the recipients and makes the campaign sending, in one transaction, if it is still the
    /// draft or scheduled campaign <paramref name="campaign"/> shows and the organisation's sending is
    /// not suspended. Returns the number of recipients, or null when the campaign was not in a state
    /// to start, changed since it was read, or the organisation is suspended.
    /// </summary>
    public async Task<long?> StartAsync(CampaignRow campaign, Segment segment, long now, CancellationToken ct = default)
    {
        var p = new DynamicParameters();
        var select = Selection(campaign, segment, p, now, "@campaignId, p.id");
        p.Add("campaignId", campaign.Id);
        p.Add("now", now);
        p.Add("readStatus", campaign.Status);
        p.Add("readUpdatedAt", campaign.UpdatedAt);
        await using var tx = await db.BeginWriteAsync(ct);
        // Only the campaign as it was read and checked starts: one edited, unscheduled or moved to another time since
        // (its status or updated_at changed) does not.
        var claimed = await tx.Connection.ExecuteAsync(
            """
            UPDATE campaigns SET status = 'sending', status_reason = NULL, started_at = @now, updated_at = @now
            WHERE org_id = @OrgId AND id = @campaignId AND status IN ('draft', 'scheduled') AND status = @readStatus AND updated_at = @readUpdatedAt
              AND NOT EXISTS (SELECT 1 FROM suspensions WHERE org_id = @OrgId AND lifted_at IS NULL)
            """,
            p, tx.Transaction);
        if (claimed == 0)
            return null;
        var total = await tx.Connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO campaign_recipients (campaign_id, subscriber_id) {select} ORDER BY p.id", p, tx.Transaction, commandTimeout: 600, cancellationToken: ct));
        await tx.Connection.ExecuteAsync("UPDATE campaigns SET total = @total WHERE id = @campaignId", new { total, campaignId = campaign.Id }, tx.Transaction);
        await tx.CommitAsync(ct);
        if (db.IsPostgres && total > 1000)
        {
            // The planner must know the rows just added: with the statistics from before, it scanned every queued
            // recipient to find each claimed batch (a send of 150,000 spent most of PostgreSQL's CPU there).
            await using var c = await db.OpenAsync(ct);
            await c.ExecuteAsync(new CommandDefinition("ANALYZE campaign_recipients", commandTimeout: 600, cancellationToken: ct));
        }
        return total;
    }

    /// <summary>The campaign's totals and, while it sends, its rate over the last ten seconds.</summary>
    public async Task<CampaignProgress> ProgressAsync(CampaignRow row, long now, CancellationToken ct = default)
    {
        var remaining = Math.Max(0, row.Total - row.Sent - row.Failed - row.Skipped);
        double rate = 0;
        if (row.Status == CampaignStatus.Sending)
        {
            await using var c = await db.OpenAsync(ct);
            var recent = await c.ExecuteScalarAsync<long?>(
                "SELECT sum(sent) FROM campaign_progress WHERE campaign_id = @Id AND at > @since", new { row.Id, since = now - 10_000 }) ?? 0;
            rate = recent / 10.0;
        }
        return new CampaignProgress(row.Total, row.Sent, row.Failed, row.Skipped, remaining, rate);
    }

    /// <summary>A page of a campaign's recipients, optionally of one state (0 queued, 1 sent, 2 failed, 3 skipped).</summary>
    public async Task<IReadOnlyList<CampaignRecipientRow>> ListRecipientsAsync(long campaignId, int? state, long afterSubscriberId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<CampaignRecipientRow>(
            """
            SELECT r.subscriber_id, p.email, r.state, r.attempts, r.sent_at, r.last_error
            FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id AND k.org_id = @OrgId
            LEFT JOIN subscribers p ON p.id = r.subscriber_id
            WHERE r.campaign_id = @campaignId AND (@state IS NULL OR r.state = @state) AND r.subscriber_id > @afterSubscriberId
            ORDER BY r.subscriber_id LIMIT @limit
            """,
            new { OrgId, campaignId, state, afterSubscriberId, limit })).AsList();
    }

    /// <summary>Counts one person who unsubscribed through the campaign's own link.</summary>
    public async Task AddUnsubscribeAsync(long campaignId, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE campaigns SET unsubscribes = unsubscribes + 1 WHERE org_id = @OrgId AND id = @campaignId", new { OrgId, campaignId }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    // ---- sender domains and layout --------------------------------------------------------

    /// <summary>Adds a sender domain with its key. False when the domain is already there.</summary>
    public async Task<bool> AddSenderDomainAsync(string domain, string selector, string algorithm, string privateKey, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long?>(
            """
            INSERT INTO sender_domains (org_id, domain, selector, algorithm, private_key, created_at)
            VALUES (@OrgId, @domain, @selector, @algorithm, @privateKey, @now)
            ON CONFLICT (org_id, domain) DO NOTHING RETURNING id
            """,
            new { OrgId, domain, selector, algorithm, privateKey, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return id is not null;
    }

    /// <summary>The organisation's sender domains.</summary>
    public async Task<IReadOnlyList<SenderDomainRow>> ListSenderDomainsAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<SenderDomainRow>("SELECT * FROM sender_domains WHERE org_id = @OrgId ORDER BY domain", new { OrgId })).AsList();
    }

    /// <summary>Removes a sender domain. False when it was not there.</summary>
    public async Task<bool> RemoveSenderDomainAsync(string domain, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync("DELETE FROM sender_domains WHERE org_id = @OrgId AND domain = @domain", new { OrgId, domain }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>The organisation's identity as its mails show it.</summary>
    public async Task<OrganisationLayoutRow> GetLayoutAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleAsync<OrganisationLayoutRow>(
            "SELECT name, slug, postal_address, brand_colour, custom_layout FROM organisations WHERE id = @OrgId", new { OrgId });
    }

    /// <summary>Changes the postal address, brand colour and custom layout.</summary>
    public async Task SetLayoutAsync(string postalAddress, string? brandColour, string? customLayout, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            "UPDATE organisations SET postal_address = @postalAddress, brand_colour = @brandColour, custom_layout = @customLayout WHERE id = @OrgId",
            new { OrgId, postalAddress, brandColour, customLayout }, tx.Transaction);
        await tx.CommitAsync(ct);
    }
}
