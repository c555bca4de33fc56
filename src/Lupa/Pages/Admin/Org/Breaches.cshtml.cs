using Lupa.Admin;
using Lupa.Api;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/breaches: the breach register (Article 33(5)), those still waiting for the authority first with their
/// 72-hour clock, and the form that registers a breach. For the privacy officer, owners and admins.
/// </summary>
public sealed class BreachesModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, BreachService breaches)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Rows shown at most.</summary>
    public const int Limit = 500;

    /// <summary>The register.</summary>
    public IReadOnlyList<BreachRow> Breaches { get; private set; } = [];

    /// <summary>The breach service, for the clock.</summary>
    public BreachService Service => breaches;

    /// <summary>The form as typed (kept when refused).</summary>
    public BreachBody Form { get; private set; } = new();

    /// <summary>The field a refusal is about.</summary>
    public string? ErrorField { get; private set; }

    /// <summary>Shows the register.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        Form = new BreachBody { DiscoveredAt = BreachView.Input(breaches.Now(), breaches) };
        Breaches = await breaches.For(Organisation.Id).ListAsync(Limit, ct);
    }

    /// <summary>Registers a breach and opens its page.</summary>
    public async Task<IActionResult> OnPostAsync([FromForm] BreachBody form, CancellationToken ct)
    {
        Form = form;
        var result = await breaches.RegisterAsync(Organisation.Id, BreachForm.Input(form), Person.Email, ct);
        if (result.IsOk)
            return LocalRedirect(OrgUrl("breaches/" + result.Value!.Id) + "?done=register");
        ErrorField = result.Code;
        Refuse(AdminText.Sentence(result.Code + " " + result.Reason));
        Breaches = await breaches.For(Organisation.Id).ListAsync(Limit, ct);
        return Page();
    }
}

/// <summary>The breach form of the admin pages: the API's body, read as a form is (an emptied field clears it).</summary>
public static class BreachForm
{
    /// <summary>What the service reads: an emptied text or begin time clears it; empty numbers stay unknown.</summary>
    public static BreachInput Input(BreachBody f) => new(f.Title, f.DiscoveredAt, f.OccurredAt ?? "", f.Nature ?? "", f.SubjectCategories ?? "", f.SubjectsApprox,
        f.RecordCategories ?? "", f.RecordsApprox, f.Consequences ?? "", f.Measures ?? "", f.DpoContact);

    /// <summary>The form filled from a stored breach.</summary>
    public static BreachBody From(BreachRow b, BreachService s) => new()
    {
        Title = b.Title,
        DiscoveredAt = BreachView.Input(DateTimeOffset.FromUnixTimeMilliseconds(b.DiscoveredAt), s),
        OccurredAt = b.OccurredAt is { } o ? BreachView.Input(DateTimeOffset.FromUnixTimeMilliseconds(o), s) : "",
        Nature = b.Nature,
        SubjectCategories = b.SubjectCategories,
        SubjectsApprox = b.SubjectsApprox,
        RecordCategories = b.RecordCategories,
        RecordsApprox = b.RecordsApprox,
        Consequences = b.Consequences,
        Measures = b.Measures,
        DpoContact = b.DpoContact,
    };
}
