using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>The verification link of a self-service request: opening it verifies the request; opening it again is harmless.</summary>
public sealed class PrivacyVerifyModel(PrivacyRequestService privacy) : PageModel
{
    public PrivacyText Text { get; private set; } = PrivacyText.For("en");
    public string Heading { get; private set; } = "";
    public string Body { get; private set; } = "";
    public string? Note { get; private set; }
    public string? OrganisationName { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        var (outcome, request, org) = await privacy.VerifyAsync(token, ct);
        var words = PublicText.For(request?.Language);
        Text = PrivacyText.For(request?.Language);
        switch (outcome)
        {
            case PrivacyVerifyOutcome.Expired:
                Response.StatusCode = StatusCodes.Status410Gone;
                Heading = words.LinkExpired;
                Body = words.LinkExpiredBody;
                return Page();
            case PrivacyVerifyOutcome.Invalid:
                Response.StatusCode = StatusCodes.Status404NotFound;
                Heading = words.LinkInvalid;
                Body = words.LinkInvalidBody;
                return Page();
        }
        OrganisationName = org!.Name;
        Heading = Text.Verified;
        Body = string.Format(Text.VerifiedBody, org.Name, Text.Date(privacy.DueDate(request!)));
        if (outcome == PrivacyVerifyOutcome.Verified)
            Note = request!.Type switch
            {
                PrivacyRequestTypes.Access or PrivacyRequestTypes.Portability when request.Status == PrivacyRequestStatuses.Completed => Text.VerifiedReport,
                PrivacyRequestTypes.Erasure when request.Status == PrivacyRequestStatuses.Completed => Text.VerifiedErased,
                PrivacyRequestTypes.Restriction when request.Status == PrivacyRequestStatuses.Completed => Text.VerifiedRestricted,
                PrivacyRequestTypes.Objection when request.Status == PrivacyRequestStatuses.Completed =>
                    request.ObjectionScope == ObjectionScopes.Profiling ? Text.VerifiedObjectedProfiling : Text.VerifiedObjectedMarketing,
                _ => null,
            };
        return Page();
    }
}
