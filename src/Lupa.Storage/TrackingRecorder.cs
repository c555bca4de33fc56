using Dapper;

namespace Lupa.Storage;

/// <summary>A number of opens, clicks or unsubscribes of one campaign, link, kind and hour (no person).</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Kind">1 open, 2 click, 3 unsubscribe (<c>Lupa.Domain.Tracking.TrackingKind</c>).</param>
/// <param name="LinkId">The link of a click; 0 otherwise.</param>
/// <param name="Machine">1 when made by a machine (prefetch, scanner), 0 by a person as far as can be told.</param>
/// <param name="Hour">The Unix millisecond the hour starts.</param>
/// <param name="Total">How many.</param>
public readonly record struct TrackingCount(long CampaignId, int Kind, int LinkId, int Machine, long Hour, long Total);

/// <summary>
/// A message's random tag seen for a campaign, kind, link and human or machine (no person, no time): the unique
/// opens and clicks are the distinct tags.
/// </summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Kind">1 open, 2 click.</param>
/// <param name="LinkId">The link of a click; 0 for an open.</param>
/// <param name="Machine">1 when made by a machine, 0 by a person as far as can be told.</param>
/// <param name="Tag">The message's tag (an unsigned 32-bit number).</param>
public readonly record struct TrackingTag(long CampaignId, int Kind, int LinkId, int Machine, long Tag);

/// <summary>One open or click of one person, for an organisation that keeps individual events.</summary>
public readonly record struct TrackingEventRow(long CampaignId, long SubscriberId, int Kind, int LinkId, int Machine, long At);

/// <summary>
/// Writes what the tracking buffer collected, in one transaction per batch (group commit): counts are added to
/// (so any number of nodes may write the same rows), messages' tags inserted where not there yet, individual events inserted only where the organisation keeps
/// them and the person has not objected to profiling, both checked here, at the time of writing.
/// </summary>
public sealed class TrackingRecorder(LupaDatabase db)
{
    /// <summary>
    /// Adds the counts, inserts the tags not seen yet (give them in key order, see <c>UniqueTags.InKeyOrder</c>)
    /// and the events that are allowed. Returns the events inserted.
    /// </summary>
    public async Task<int> RecordAsync(IReadOnlyCollection<TrackingCount> counts, IReadOnlyList<TrackingEventRow> events, IReadOnlyList<TrackingTag>? tags = null, CancellationToken ct = default)
    {
        tags ??= [];
        if (counts.Count == 0 && events.Count == 0 && tags.Count == 0)
            return 0;
        await using var tx = await db.BeginWriteAsync(ct);
        // In key order, so that two nodes' batches lock PostgreSQL's rows in the same order and cannot deadlock.
        var ordered = counts.OrderBy(c => c.CampaignId).ThenBy(c => c.Kind).ThenBy(c => c.LinkId).ThenBy(c => c.Machine).ThenBy(c => c.Hour).ToList();
        if (ordered.Count > 0)
        {
            await tx.Connection.ExecuteAsync(
                """
                INSERT INTO tracking_counts (campaign_id, kind, link_id, machine, hour, total)
                VALUES (@CampaignId, @Kind, @LinkId, @Machine, @Hour, @Total)
                ON CONFLICT (campaign_id, kind, link_id, machine, hour) DO UPDATE SET total = tracking_counts.total + excluded.total
                """, ordered, tx.Transaction);
        }
        if (tags.Count > 0)
            await (db.IsPostgres ? InsertTagsPostgresAsync(tx, tags) : InsertTagsSqliteAsync(tx, tags));
        var inserted = events.Count == 0 ? 0 : db.IsPostgres ? await InsertEventsPostgresAsync(tx, events) : await InsertEventsSqliteAsync(tx, events);
        await tx.CommitAsync(ct);
        return inserted;
    }

    private static Task<int> InsertTagsSqliteAsync(WriteTransaction tx, IReadOnlyList<TrackingTag> tags) =>
        tx.Connection.ExecuteAsync(
            """
            INSERT INTO tracking_tags (campaign_id, kind, link_id, machine, tag) VALUES (@CampaignId, @Kind, @LinkId, @Machine, @Tag)
            ON CONFLICT DO NOTHING
            """, tags, tx.Transaction);

    // One statement for the batch, in the order given (unnest keeps it): the key order, against deadlocks.
    private static Task<int> InsertTagsPostgresAsync(WriteTransaction tx, IReadOnlyList<TrackingTag> tags) =>
        tx.Connection.ExecuteAsync(
            """
            INSERT INTO tracking_tags (campaign_id, kind, link_id, machine, tag)
            SELECT * FROM unnest(@c::bigint[], @k::smallint[], @l::integer[], @m::smallint[], @t::bigint[])
            ON CONFLICT DO NOTHING
            """,
            new
            {
                c = tags.Select(t => t.CampaignId).ToArray(),
                k = tags.Select(t => t.Kind).ToArray(),
                l = tags.Select(t => t.LinkId).ToArray(),
                m = tags.Select(t => t.Machine).ToArray(),
                t = tags.Select(t => t.Tag).ToArray(),
            }, tx.Transaction);

    private const string Allowed = """
        JOIN campaigns k ON k.id = e.campaign_id AND k.org_id = s.org_id
        JOIN organisations o ON o.id = s.org_id AND o.individual_tracking = 1
        """;

    private static async Task<int> InsertEventsSqliteAsync(WriteTransaction tx, IReadOnlyList<TrackingEventRow> events) =>
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO tracking_events (org_id, campaign_id, subscriber_id, kind, link_id, machine, at)
            SELECT s.org_id, e.campaign_id, s.id, @Kind, @LinkId, @Machine, @At
            FROM (SELECT @CampaignId AS campaign_id) e
            JOIN subscribers s ON s.id = @SubscriberId AND s.objected_profiling_at IS NULL
            {Allowed}
            """, events, tx.Transaction);

    // One statement for the whole batch: a round trip per event would be the bottleneck.
    private static async Task<int> InsertEventsPostgresAsync(WriteTransaction tx, IReadOnlyList<TrackingEventRow> events) =>
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO tracking_events (org_id, campaign_id, subscriber_id, kind, link_id, machine, at)
            SELECT s.org_id, e.campaign_id, s.id, e.kind, e.link_id, e.machine, e.at
            FROM unnest(@c::bigint[], @s::bigint[], @k::smallint[], @l::integer[], @m::smallint[], @a::bigint[])
              AS e(campaign_id, subscriber_id, kind, link_id, machine, at)
            JOIN subscribers s ON s.id = e.subscriber_id AND s.objected_profiling_at IS NULL
            {Allowed}
            """,
            new
            {
                c = events.Select(e => e.CampaignId).ToArray(),
                s = events.Select(e => e.SubscriberId).ToArray(),
                k = events.Select(e => e.Kind).ToArray(),
                l = events.Select(e => e.LinkId).ToArray(),
                m = events.Select(e => e.Machine).ToArray(),
                a = events.Select(e => e.At).ToArray(),
            }, tx.Transaction);

    /// <summary>Remembers the links a campaign's messages carry (idempotent; every node may call it before sending).</summary>
    public async Task AddLinksAsync(long campaignId, IReadOnlyList<(int LinkId, string Url)> links, CancellationToken ct = default)
    {
        if (links.Count == 0)
            return;
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            """
            INSERT INTO campaign_links (campaign_id, link_id, position, url) VALUES (@campaignId, @LinkId, @Position, @Url)
            ON CONFLICT (campaign_id, link_id) DO NOTHING
            """,
            links.Select((l, i) => new { campaignId, l.LinkId, Position = i + 1, l.Url }), tx.Transaction);
        await tx.CommitAsync(ct);
    }
}
