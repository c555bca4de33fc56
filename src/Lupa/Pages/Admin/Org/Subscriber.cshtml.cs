using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/subscribers/{id}: the subscriber, their subscriptions and the full consent history.</summary>
public sealed class SubscriberModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    private Dictionary<long, string> _listNames = [];

    /// <summary>The subscriber.</summary>
    public SubscriberRow Subscriber { get; private set; } = null!;

    /// <summary>Their subscriptions.</summary>
    public IReadOnlyList<SubscriptionRow> Subscriptions { get; private set; } = [];

    /// <summary>Every consent record, oldest first.</summary>
    public IReadOnlyList<ConsentRecordRow> Consents { get; private set; } = [];

    /// <summary>Shows the subscriber.</summary>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var subscriber = await Store.GetSubscriberAsync(id, ct);
        if (subscriber is null)
            return NotFoundPage("subscriber");
        Subscriber = subscriber;
        Subscriptions = await Store.ListSubscriptionsAsync(id, ct);
        Consents = await Store.ListConsentRecordsAsync(id, ct);
        _listNames = (await Store.ListListsAsync(ct)).ToDictionary(l => l.Id, l => l.Name);
        await AuditAsync(AuditActions.SubscriberView, "subscriber:" + id, new { consents = Consents.Count }, ct);
        return Page();
    }

    /// <summary>A list's name, or its slug.</summary>
    public string ListName(long listId, string slug) => _listNames.GetValueOrDefault(listId) ?? slug;
}
