using Lupa.Domain;
using Lupa.Privacy;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>
/// /privacy/{org}: a person asks for access, portability, rectification, erasure, restriction, or objects. A link is
/// mailed to the address given, and the request goes on only when it is opened; the page answers the same whether or
/// not the address is known. A honeypot and the form's per-IP rate limit guard it, and an antiforgery token, since
/// it is only ever posted from this page.
/// </summary>
public sealed class PrivacyRequestModel(SystemStore system, PrivacyRequestService privacy, FormRateLimiter limiter) : PageModel
{
    public OrganisationRow? Organisation { get; private set; }
    public PrivacyText Text { get; private set; } = PrivacyText.For("en");
    public bool Done { get; private set; }
    public string? Error { get; private set; }
    public string? ErrorField { get; private set; }
    public string Email { get; private set; } = "";
    public string Choice { get; private set; } = "";
    public string Correction { get; private set; } = "";
    public string Details { get; private set; } = "";

    private async Task<bool> LoadAsync(string org, string? lang, CancellationToken ct)
    {
        Text = PrivacyText.For(Languages.IsSupported(lang) ? lang
            : Request.Headers.AcceptLanguage.ToString().TrimStart().StartsWith("fi", StringComparison.OrdinalIgnoreCase) ? Languages.Finnish : Languages.English);
        Organisation = TextRules.SlugProblem(org) is null ? await system.FindOrganisationAsync(org, ct) : null;
        if (Organisation is null)
            Response.StatusCode = StatusCodes.Status404NotFound;
        return Organisation is not null;
    }

    public async Task<IActionResult> OnGetAsync(string org, string? lang, CancellationToken ct)
    {
        await LoadAsync(org, lang, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string org, string? lang, [FromForm] string? email, [FromForm] string? choice, [FromForm] string? correction,
        [FromForm] string? details, [FromForm] string? website, CancellationToken ct)
    {
        if (!await LoadAsync(org, lang, ct))
            return Page();
        if (!limiter.TryAcquire(HttpContext.Connection.RemoteIpAddress?.ToString()))
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Error = PublicText.For(Text.Lang).TooMany;
            return Page();
        }
        Email = Keep(email, 300);
        Choice = Keep(choice, 50);
        Correction = Keep(correction, PrivacyRequestService.MaxDetailsLength + 100);
        Details = Keep(details, PrivacyRequestService.MaxDetailsLength + 100);
        if (!string.IsNullOrEmpty(website))
        {
            // A bot filled the hidden field: answer as if it worked, store nothing.
            Done = true;
            return Page();
        }
        // For rectification what to correct comes first; anything else the person wrote follows it.
        var text = Choice == Domain.Privacy.PrivacyRequestTypes.Rectification && Correction.Trim().Length > 0
            ? (Correction.Trim() + "\n\n" + Details.Trim()).Trim()
            : Details;
        var result = await privacy.SubmitAsync(Organisation!, new SelfServiceRequest(email, choice, text, Text.Lang), ct);
        if (!result.IsOk)
        {
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            ErrorField = result.Code == "details" && Choice == Domain.Privacy.PrivacyRequestTypes.Rectification ? "correction" : result.Code;
            Error = result.Reason;
            return Page();
        }
        Done = true;
        return Page();
    }

    private static string Keep(string? value, int max) => value is null || value.Length > max ? "" : value;
}
