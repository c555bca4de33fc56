using Lupa.Admin;
using Lupa.Domain;
using Lupa.Storage;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}: counts and links to the organisation's sections.</summary>
public sealed class OverviewModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    /// <summary>Number of lists.</summary>
    public int Lists { get; private set; }

    /// <summary>Number of subscribers.</summary>
    public long Subscribers { get; private set; }

    /// <summary>Confirmed subscriptions over all lists.</summary>
    public long Confirmed { get; private set; }

    /// <summary>Subscriptions awaiting confirmation.</summary>
    public long Pending { get; private set; }

    /// <summary>Reads the counts.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        Lists = (await Store.ListListsAsync(ct)).Count;
        Subscribers = await Store.CountSubscribersAsync(ct);
        foreach (var perList in (await Store.CountSubscriptionsAsync(ct)).Values)
        {
            Confirmed += perList.GetValueOrDefault(SubscriptionStatuses.Confirmed);
            Pending += perList.GetValueOrDefault(SubscriptionStatuses.Pending);
        }
    }
}
