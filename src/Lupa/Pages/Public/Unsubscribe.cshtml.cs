using Lupa.Domain;
using Lupa.Hosting;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>
/// The unsubscribe link. GET shows a button (link scanners must not unsubscribe anyone); POST
/// unsubscribes at once. RFC 8058 one-click POSTs come from mailbox providers with no cookies and no
/// antiforgery token: the signed link is the authority, so antiforgery is off here.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class UnsubscribeModel(SubscriptionService subscriptions, PublicLinks links, Lupa.AcceptableUse.AcceptableUseService acceptableUse) : PageModel
{
    public PublicText Text { get; private set; } = PublicText.For("en");
    public bool Invalid { get; private set; }
    public bool Done { get; private set; }
    public string Email { get; private set; } = "";
    public string ListName { get; private set; } = "";
    public string PreferencesUrl { get; private set; } = "";

    private async Task<bool> LoadAsync(string token, CancellationToken ct)
    {
        var (problem, orgId, subscriptionIds) = await subscriptions.ReadUnsubscribeAsync(token, ct);
        if (problem != LinkProblem.None)
            return false;
        var store = subscriptions.For(orgId);
        var names = new List<string>();
        var done = true;
        SubscriberRow? subscriber = null;
        ListRow? first = null;
        foreach (var id in subscriptionIds)
        {
            var subscription = await store.GetSubscriptionAsync(id, ct);
            if (subscription is null)
                continue;
            subscriber ??= await store.GetSubscriberAsync(subscription.SubscriberId, ct);
            var list = await store.GetListAsync(subscription.ListId, ct);
            first ??= list;
            if (list is not null)
                names.Add(list.Name);
            done &= subscription.Status == SubscriptionStatuses.Unsubscribed;
        }
        if (subscriber is null)
            return false;
        Text = PublicText.For(first?.Language);
        Email = subscriber.Email;
        ListName = string.Join(", ", names);
        Done = done;
        PreferencesUrl = links.Preferences(orgId, subscriber.Id);
        return true;
    }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct))
        {
            Invalid = true;
            Response.StatusCode = 404;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        var form = Request.HasFormContentType ? await Request.ReadFormAsync(ct) : null;
        var (problem, _, _, campaignId) = await subscriptions.UnsubscribeAsync(
            token, ConsentMethods.Unsubscribe, HttpContext.Connection.RemoteIpAddress?.ToString(), Request.Headers.UserAgent, ct);
        if (problem != LinkProblem.None)
        {
            Invalid = true;
            Response.StatusCode = 404;
            return Page();
        }
        if (campaignId is { } campaign)
            await acceptableUse.CheckCampaignAsync(campaign, ct);
        if (form is null || form["from-page"].ToString() != "1")
            return Content("Unsubscribed.\n", "text/plain; charset=utf-8");
        await LoadAsync(token, ct);
        return Page();
    }
}
