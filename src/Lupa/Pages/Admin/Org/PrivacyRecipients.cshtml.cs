using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/privacy-recipients: the registered recipients (Article 19) with their delivery counts, and the form
/// that registers one; its signing secret is shown once. For the privacy officer, owners and admins.
/// </summary>
public sealed class PrivacyRecipientsModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, DataRecipientService recipients)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>The recipients, removed ones last.</summary>
    public IReadOnlyList<PrivacyRecipientRow> Recipients { get; private set; } = [];

    /// <summary>The form as typed (kept when refused).</summary>
    public RecipientInput Input { get; private set; } = new("", RecipientKinds.Processor, "", "");

    /// <summary>The recipient just registered and its secret, shown this once.</summary>
    public (PrivacyRecipientRow Recipient, string Secret)? Created { get; private set; }

    /// <summary>The field a refusal is about.</summary>
    public string? ErrorField { get; private set; }

    /// <summary>Shows the recipients.</summary>
    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    private async Task LoadAsync(CancellationToken ct) =>
        Recipients = (await recipients.For(Organisation.Id).ListAsync(includeRemoved: true, ct)).OrderBy(r => r.RemovedAt is null ? 0 : 1).ThenBy(r => r.Id).ToList();

    /// <summary>Registers a recipient and shows its secret.</summary>
    public async Task<IActionResult> OnPostAsync([FromForm] string? name, [FromForm] string? kind, [FromForm] string? url, [FromForm] string? description, CancellationToken ct)
    {
        Input = new RecipientInput(name, kind, url, description);
        var result = await recipients.RegisterAsync(Organisation.Id, Input, Person.Email, ct);
        if (result.IsOk)
        {
            Created = result.Value;
            Input = new RecipientInput("", RecipientKinds.Processor, "", "");
        }
        else
        {
            ErrorField = result.Code;
            Refuse(AdminText.Sentence(result.Code + " " + result.Reason));
        }
        await LoadAsync(ct);
        return Page();
    }
}
