using Lupa.Domain;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>The preference centre: the subscriber's lists, name and language, reached by a signed link.</summary>
public sealed class PreferencesModel(SubscriptionService subscriptions, SystemStore system, Lupa.Privacy.PrivacyRequestService privacy, TimeProvider clock) : PageModel
{
    public PublicText Text { get; private set; } = PublicText.For("en");
    public SubscriberRow? Subscriber { get; private set; }
    public IReadOnlyList<SubscriptionRow> Subscriptions { get; private set; } = [];
    public string OrganisationName { get; private set; } = "";
    public string OrganisationSlug { get; private set; } = "";
    public PrivacyNoticeContent? Notice { get; private set; }
    public string? Message { get; private set; }
    public string? Error { get; private set; }
    private long _orgId;

    private async Task<bool> LoadAsync(string token, CancellationToken ct)
    {
        if (subscriptions.Read(token, LinkPurpose.Preferences, out var claims) != LinkProblem.None)
            return false;
        _orgId = claims.OrgId;
        var store = subscriptions.For(claims.OrgId);
        Subscriber = await store.GetSubscriberAsync(claims.Id, ct);
        if (Subscriber is null)
            return false;
        Subscriptions = await store.ListSubscriptionsAsync(Subscriber.Id, ct);
        var org = await system.GetOrganisationAsync(claims.OrgId, ct);
        OrganisationName = org?.Name ?? "";
        OrganisationSlug = org?.Slug ?? "";
        Text = PublicText.For(Subscriber.Language);
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        Notice = notice is null ? null : PrivacyNoticeContent.FromJson(notice.Content);
        return true;
    }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct))
            Response.StatusCode = 404;
        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(string token, [FromForm] string? name, [FromForm] string? language, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct))
            return NotFoundPage();
        var clean = (name ?? "").Trim();
        if (TextRules.NameProblem(clean) is { } np)
        {
            Response.StatusCode = 422;
            Error = Text.Name + " " + np;
            return Page();
        }
        if (!Languages.IsSupported(language))
        {
            Response.StatusCode = 422;
            Error = Text.Language + ": fi / en";
            return Page();
        }
        // A rectification by the person (Article 16), told to the registered recipients (Article 19).
        await privacy.RectifySubscriberAsync(_orgId, Subscriber!, clean, language!, "preference-centre", ct);
        await LoadAsync(token, ct);
        Message = Text.Saved;
        return Page();
    }

    public async Task<IActionResult> OnPostUnsubscribeAsync(string token, [FromForm] long listId, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct))
            return NotFoundPage();
        var s = Subscriptions.FirstOrDefault(x => x.ListId == listId);
        if (s is not null)
        {
            await subscriptions.For(_orgId).UnsubscribeAsync(s.Id, ConsentMethods.PreferenceCentre, HttpContext.Connection.RemoteIpAddress?.ToString(),
                Request.Headers.UserAgent, null, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        }
        await LoadAsync(token, ct);
        Message = Text.Saved;
        return Page();
    }

    public async Task<IActionResult> OnPostResubscribeAsync(string token, [FromForm] long listId, CancellationToken ct)
    {
        if (!await LoadAsync(token, ct))
            return NotFoundPage();
        var s = Subscriptions.FirstOrDefault(x => x.ListId == listId);
        var list = s is null ? null : await subscriptions.For(_orgId).GetListAsync(listId, ct);
        if (list is not null)
            await subscriptions.ResubscribeAsync(_orgId, Subscriber!.Id, list, HttpContext.Connection.RemoteIpAddress?.ToString(), Request.Headers.UserAgent, ct);
        await LoadAsync(token, ct);
        Message = Text.Saved;
        return Page();
    }

    private PageResult NotFoundPage()
    {
        Response.StatusCode = 404;
        Subscriber = null;
        return Page();
    }
}
