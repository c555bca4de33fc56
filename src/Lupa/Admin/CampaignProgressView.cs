using System.Globalization;
using Lupa.Api;
using Lupa.Domain.Campaigns;
using Lupa.Storage;

namespace Lupa.Admin;

/// <summary>
/// A campaign's progress as the campaign page shows it and as its progress handler answers the
/// page's script every second: the same numbers and texts both ways.
/// </summary>
public sealed record CampaignProgressView(
    string Status, string? Reason, long Total, long Sent, long Failed, long Skipped, long Remaining,
    string Rate, string Eta, double Percent, bool Live)
{
    /// <summary>The view of a campaign and its progress; rate and ETA as the API computes them.</summary>
    public static CampaignProgressView Of(CampaignRow campaign, CampaignProgress progress)
    {
        var p = CampaignsApi.ToDto(campaign, progress).Progress;
        var done = p.Sent + p.Failed + p.Skipped;
        var percent = p.Total > 0 ? Math.Round(100.0 * done / p.Total, 1) : campaign.Status == CampaignStatus.Sent ? 100 : 0;
        var eta = p.EtaSeconds is { } s ? Duration(s) : campaign.Status == CampaignStatus.Sending && p.Remaining > 0 ? "estimating…" : "–";
        return new CampaignProgressView(campaign.Status, campaign.StatusReason, p.Total, p.Sent, p.Failed, p.Skipped, p.Remaining,
            p.Rate.ToString("0.#", CultureInfo.InvariantCulture) + " /s", eta, percent, CampaignStatus.IsOpen(campaign.Status));
    }

    /// <summary>A number of seconds as people read it: "45 s", "3 min 5 s", "2 h 10 min".</summary>
    public static string Duration(long seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        if (t.TotalHours >= 1)
            return $"{(long)t.TotalHours} h {t.Minutes} min";
        if (t.TotalMinutes >= 1)
            return $"{t.Minutes} min {t.Seconds} s";
        return $"{t.Seconds} s";
    }
}
