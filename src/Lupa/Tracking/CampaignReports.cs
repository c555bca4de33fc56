using System.Globalization;
using System.Text;
using Lupa.Domain;
using Lupa.Domain.Tracking;
using Lupa.Storage;

namespace Lupa.Tracking;

/// <summary>Opens or clicks of a campaign: every one counted, and the recipients (messages) they came from.</summary>
/// <param name="Human">Opens or clicks that showed no sign of a machine.</param>
/// <param name="Machine">Those made by a mailbox provider's prefetch, a link scanner or the like.</param>
/// <param name="UniqueHuman">Recipients whose message had at least one human open or click (on any link).</param>
/// <param name="UniqueMachine">Recipients whose message had at least one machine open or click; one may be in both.</param>
public sealed record EngagementCounts(long Human, long Machine, long UniqueHuman, long UniqueMachine);

/// <summary>The clicks on one link.</summary>
/// <param name="LinkId">The link's number (a hash of its URL).</param>
/// <param name="Url">Where it goes.</param>
/// <param name="Human">Clicks by people.</param>
/// <param name="Machine">Clicks by scanners and the like.</param>
/// <param name="UniqueHuman">Recipients who clicked it (a human click).</param>
public sealed record LinkClicks(int LinkId, string Url, long Human, long Machine, long UniqueHuman);

/// <summary>One hour of the campaign's life (UTC), with what happened in it.</summary>
public sealed record HourCounts(DateTimeOffset Hour, long HumanOpens, long MachineOpens, long HumanClicks, long MachineClicks, long Unsubscribes);

/// <summary>
/// A campaign's report: what was sent and what came back. Delivered is sent less the messages that bounced after a
/// relay took them. Unsubscribes count those made through the campaign's own link. Unique counts are the distinct
/// random tags of the messages opened or clicked (one message per recipient), in either tracking mode, so they name
/// no one; <see cref="IndividualTracking"/> tells whether opens and clicks are also kept with the person.
/// </summary>
public sealed record CampaignReport(
    long CampaignId, string Name, string Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, bool IndividualTracking,
    long Recipients, long Sent, long Failed, long Delivered, long HardBounces, long SoftBounces, long Complaints, long Unsubscribes,
    EngagementCounts Opens, EngagementCounts Clicks, LinkClicks[] Links, HourCounts[] Hours);

/// <summary>Builds campaign reports from the tracking counts and tags, the bounces and the campaign's counters.</summary>
public sealed class CampaignReports(LupaDatabase db)
{
    /// <summary>The report of a campaign of the organisation, or null when it has no such campaign.</summary>
    public async Task<CampaignReport?> ForAsync(long orgId, long campaignId, CancellationToken ct)
    {
        var campaign = await new CampaignStore(db, orgId).GetAsync(campaignId, ct);
        if (campaign is null)
            return null;
        var store = new TrackingStore(db, orgId);
        var counts = await store.CountsAsync(campaignId, ct);
        var individual = await store.IndividualTrackingAsync(ct) || await store.HasEventsAsync(campaignId, ct);
        var uniques = await store.UniquesAsync(campaignId, ct);
        var links = await store.LinksAsync(campaignId, ct);
        var bounced = await store.BouncedAfterSendAsync(campaignId, ct);

        long Sum(TrackingKind kind, int machine, int? link = null) =>
            counts.Where(c => c.Kind == (int)kind && c.Machine == machine && (link is null || c.LinkId == link)).Sum(c => c.Total);
        long Unique(TrackingKind kind, int machine, int link = -1) =>
            uniques.Where(p => p.Kind == (int)kind && p.Machine == machine && p.LinkId == link).Sum(p => p.People);
        EngagementCounts Engagement(TrackingKind kind) =>
            new(Sum(kind, 0), Sum(kind, 1), Unique(kind, 0), Unique(kind, 1));

        // Every link the messages carried, in their order, and any clicked link no longer listed (by its number).
        var linkIds = links.Select(l => l.LinkId)
            .Concat(counts.Where(c => c.Kind == (int)TrackingKind.Click).Select(c => c.LinkId).Distinct().Where(id => links.All(l => l.LinkId != id)));
        var urls = links.ToDictionary(l => l.LinkId, l => l.Url);
        var linkClicks = linkIds.Select(id => new LinkClicks(id, urls.GetValueOrDefault(id, $"link {id}"),
            Sum(TrackingKind.Click, 0, id), Sum(TrackingKind.Click, 1, id), Unique(TrackingKind.Click, 0, id))).ToArray();

        var hours = counts.GroupBy(c => c.Hour).OrderBy(g => g.Key).Select(g => new HourCounts(
            DateTimeOffset.FromUnixTimeMilliseconds(g.Key),
            g.Where(c => c.Kind == (int)TrackingKind.Open && c.Machine == 0).Sum(c => c.Total),
            g.Where(c => c.Kind == (int)TrackingKind.Open && c.Machine == 1).Sum(c => c.Total),
            g.Where(c => c.Kind == (int)TrackingKind.Click && c.Machine == 0).Sum(c => c.Total),
            g.Where(c => c.Kind == (int)TrackingKind.Click && c.Machine == 1).Sum(c => c.Total),
            g.Where(c => c.Kind == (int)TrackingKind.Unsubscribe).Sum(c => c.Total))).ToArray();

        return new CampaignReport(campaign.Id, campaign.Name, campaign.Status, Time(campaign.StartedAt), Time(campaign.FinishedAt), individual,
            campaign.Total, campaign.Sent, campaign.Failed, Math.Max(0, campaign.Sent - bounced), campaign.HardBounces, campaign.SoftBounces, campaign.Complaints,
            campaign.Unsubscribes,
            Engagement(TrackingKind.Open), Engagement(TrackingKind.Click), linkClicks, hours);
    }

    /// <summary>
    /// The report as CSV in long form, one figure a row (<c>section,hour,link_id,url,metric,value</c>), which a
    /// spreadsheet pivots as it likes: the summary, each link's clicks, and each hour's opens and clicks.
    /// </summary>
    public static string Csv(CampaignReport r)
    {
        var csv = new StringBuilder("section,hour,link_id,url,metric,value\r\n");
        void Row(string section, DateTimeOffset? hour, int? link, string? url, string metric, long? value)
        {
            if (value is null)
                return;
            csv.Append(section).Append(',')
                .Append(hour?.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(',')
                .Append(link?.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(url is null ? "" : CsvText.Field(url)).Append(',')
                .Append(metric).Append(',')
                .Append(value.Value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        foreach (var (metric, value) in new (string, long?)[]
        {
            ("recipients", r.Recipients), ("sent", r.Sent), ("failed", r.Failed), ("delivered", r.Delivered), ("hard_bounces", r.HardBounces),
            ("soft_bounces", r.SoftBounces), ("complaints", r.Complaints), ("unsubscribes", r.Unsubscribes),
            ("opens_human", r.Opens.Human), ("opens_machine", r.Opens.Machine), ("unique_opens_human", r.Opens.UniqueHuman), ("unique_opens_machine", r.Opens.UniqueMachine),
            ("clicks_human", r.Clicks.Human), ("clicks_machine", r.Clicks.Machine), ("unique_clicks_human", r.Clicks.UniqueHuman), ("unique_clicks_machine", r.Clicks.UniqueMachine),
        })
            Row("summary", null, null, null, metric, value);
        foreach (var l in r.Links)
        {
            Row("link", null, l.LinkId, l.Url, "clicks_human", l.Human);
            Row("link", null, l.LinkId, l.Url, "clicks_machine", l.Machine);
            Row("link", null, l.LinkId, l.Url, "unique_clicks_human", l.UniqueHuman);
        }
        foreach (var h in r.Hours)
        {
            Row("hour", h.Hour, null, null, "opens_human", h.HumanOpens);
            Row("hour", h.Hour, null, null, "opens_machine", h.MachineOpens);
            Row("hour", h.Hour, null, null, "clicks_human", h.HumanClicks);
            Row("hour", h.Hour, null, null, "clicks_machine", h.MachineClicks);
            Row("hour", h.Hour, null, null, "unsubscribes", h.Unsubscribes);
        }
        return csv.ToString();
    }

    /// <summary>A file name for the report's CSV.</summary>
    public static string CsvFileName(CampaignReport r) => $"campaign-{r.CampaignId}-report.csv";

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
