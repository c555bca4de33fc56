using Lupa.Domain;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>
/// The list's public subscription form. It may be embedded on the organisation's own site, so it
/// takes no antiforgery token; a honeypot, a per-IP rate limit and the confirmation mail guard it.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class SubscribeModel(PublicFormCache forms, SubscriptionService subscriptions, FormRateLimiter limiter, ILogger<SubscribeModel> log) : PageModel
{
    public OrganisationRow? Organisation { get; private set; }
    public ListRow? List { get; private set; }
    public PublicText Text { get; private set; } = PublicText.For("en");
    public bool Done { get; private set; }
    public bool ConfirmedAtOnce { get; private set; }
    public string? Error { get; private set; }
    public string Email { get; private set; } = "";
    public string Name { get; private set; } = "";

    private int? _noticeVersion;

    private async Task<bool> LoadAsync(string org, string list, CancellationToken ct)
    {
        if (TextRules.SlugProblem(org) is not null || TextRules.SlugProblem(list) is not null)
            return false;
        var entry = await forms.GetAsync(org, list, ct);
        if (entry is null)
            return false;
        Organisation = entry.Organisation;
        List = entry.List;
        _noticeVersion = entry.NoticeVersion;
        Text = PublicText.For(List.Language);
        return true;
    }

    public async Task<IActionResult> OnGetAsync(string org, string list, CancellationToken ct)
    {
        if (!await LoadAsync(org, list, ct))
            Response.StatusCode = 404;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string org, string list, [FromForm] string? email, [FromForm] string? name, [FromForm] string? consent, [FromForm] string? website, [FromForm] int? wv, CancellationToken ct)
    {
        if (!await LoadAsync(org, list, ct))
        {
            Response.StatusCode = 404;
            return Page();
        }
        var ip = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (!limiter.TryAcquire(ip))
        {
            Response.StatusCode = 429;
            Error = Text.TooMany;
            return Page();
        }
        Email = (email ?? "").Length > 300 ? "" : email ?? "";
        Name = (name ?? "").Length > 300 ? "" : name ?? "";
        if (!string.IsNullOrEmpty(website))
        {
            // A bot filled the hidden field: answer as if it worked, store nothing.
            Done = true;
            return Page();
        }
        var address = EmailAddress.Parse(email);
        if (!address.IsOk)
        {
            Response.StatusCode = 422;
            Error = address.Reason;
            return Page();
        }
        var cleanName = (name ?? "").Trim();
        if (TextRules.NameProblem(cleanName) is { } np)
        {
            Response.StatusCode = 422;
            Error = Text.Name + " " + np;
            return Page();
        }
        if (consent != "yes")
        {
            Response.StatusCode = 422;
            Error = Text.ConsentRequired;
            return Page();
        }
        var source = $"{Request.Scheme}://{Request.Host}{Request.Path}";
        // The form says which wording it showed; a form embedded elsewhere without it agreed to the current one.
        ConsentWordingRow? shown = null;
        if (wv is { } version && version != List!.WordingVersion)
        {
            shown = await subscriptions.For(Organisation!.Id).GetWordingAsync(List.Id, version, ct);
            if (shown is null)
            {
                Response.StatusCode = 422;
                Error = Text.ConsentRequired;
                return Page();
            }
        }
        var result = await subscriptions.RequestAsync(Organisation!, List!, address.Value!, cleanName, ip, Request.Headers.UserAgent, source, ct,
            noticeVersion: _noticeVersion, wordingShown: shown);
        log.LogInformation("Subscription request {SubscriptionId} on list {ListId}: {Status}, mail queued {Queued}", result.SubscriptionId, List!.Id, result.Status, result.ConfirmationQueued);
        Done = true;
        ConfirmedAtOnce = List.OptInMode == OptInModes.Single;
        return Page();
    }
}
