using Lupa.Admin;
using Lupa.Campaigns;
using Lupa.Storage;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/campaigns: every campaign with its status and progress, newest first.</summary>
public sealed class CampaignsModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignService campaigns) : OrgPageModel(system, db, clock)
{
    /// <summary>The campaigns with their progress.</summary>
    public IReadOnlyList<(CampaignRow Campaign, CampaignProgressView Progress)> Campaigns { get; private set; } = [];

    /// <summary>Shows the campaigns.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        var store = campaigns.For(Organisation.Id);
        var rows = new List<(CampaignRow, CampaignProgressView)>();
        foreach (var c in await store.ListAsync(ct))
        {
            rows.Add((c, CampaignProgressView.Of(c, await store.ProgressAsync(c, Now(), ct))));
        }
        Campaigns = rows;
    }
}
