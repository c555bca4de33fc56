using Lupa.Hosting;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>The double opt-in confirmation link. Opening it confirms; opening it again is harmless.</summary>
public sealed class ConfirmModel(SubscriptionService subscriptions, PublicLinks links) : PageModel
{
    public PublicText Text { get; private set; } = PublicText.For("en");
    public string Heading { get; private set; } = "";
    public string Body { get; private set; } = "";
    public string? PreferencesUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        var (problem, outcome, orgId, subscriptionId) = await subscriptions.ConfirmAsync(
            token, HttpContext.Connection.RemoteIpAddress?.ToString(), Request.Headers.UserAgent, ct);
        if (problem == LinkProblem.Expired)
        {
            Response.StatusCode = 410;
            Heading = Text.LinkExpired;
            Body = Text.LinkExpiredBody;
            return Page();
        }
        if (problem != LinkProblem.None || outcome == ConfirmOutcome.NotFound)
        {
            Response.StatusCode = 404;
            Heading = Text.LinkInvalid;
            Body = Text.LinkInvalidBody;
            return Page();
        }
        var subscription = await subscriptions.For(orgId).GetSubscriptionAsync(subscriptionId, ct);
        var list = subscription is null ? null : await subscriptions.For(orgId).GetListAsync(subscription.ListId, ct);
        Text = PublicText.For(list?.Language);
        var listName = list?.Name ?? "";
        switch (outcome)
        {
            case ConfirmOutcome.Confirmed:
                Heading = Text.Confirmed;
                Body = string.Format(Text.ConfirmedBody, listName);
                break;
            case ConfirmOutcome.AlreadyConfirmed:
                Heading = Text.Confirmed;
                Body = string.Format(Text.AlreadyConfirmed, listName);
                break;
            default:
                Response.StatusCode = 409;
                Heading = Text.LinkInvalid;
                Body = Text.LinkSuperseded;
                break;
        }
        if (subscription is not null && outcome != ConfirmOutcome.Superseded)
            PreferencesUrl = links.Preferences(orgId, subscription.SubscriberId);
        return Page();
    }
}
