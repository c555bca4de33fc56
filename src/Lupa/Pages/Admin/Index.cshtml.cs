using Lupa.Admin;
using Lupa.Organisations;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin;

/// <summary>/admin: the operator's list of organisations and the form to create one; an organisation's person goes to their organisation.</summary>
public sealed class IndexModel(SystemStore system, OrganisationService organisations, LupaDatabase db, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>Imports held by the purchased-list check, waiting for the operator.</summary>
    public int HeldImports { get; private set; }

    /// <summary>Organisations whose sending is suspended, waiting for the operator.</summary>
    public int Suspended { get; private set; }

    /// <summary>Every organisation.</summary>
    public IReadOnlyList<OrganisationRow> Organisations { get; private set; } = [];

    /// <summary>The organisation just created, with its secrets shown once.</summary>
    public CreatedOrganisation? Created { get; private set; }

    /// <summary>Why creating failed.</summary>
    public string? Error { get; private set; }

    /// <summary>The name typed.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The slug typed.</summary>
    public string Slug { get; private set; } = "";

    /// <summary>The owner's address typed.</summary>
    public string OwnerEmail { get; private set; } = "";

    /// <summary>Shows the organisations, or sends a person of one organisation to it.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!IsOperator)
            return OwnOrganisation();
        Organisations = await SystemData.ListOrganisationsAsync(ct);
        await CountWaitingAsync(ct);
        return Page();
    }

    /// <summary>Creates an organisation.</summary>
    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? name, [FromForm] string? slug, [FromForm] string? ownerEmail, CancellationToken ct)
    {
        if (!IsOperator)
            return ForbiddenPage("Only the operator creates organisations.");
        Name = name ?? "";
        Slug = (slug ?? "").Trim();
        OwnerEmail = (ownerEmail ?? "").Trim();
        if (AdminText.NameProblem(Name) is { } np)
        {
            Error = "Name " + np + ".";
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        }
        else
        {
            var result = await organisations.CreateAsync(Name, Slug, OwnerEmail, ct);
            if (result.IsOk)
            {
                Created = result.Value;
                Name = Slug = OwnerEmail = "";
            }
            else
            {
                Error = AdminText.Sentence(result.Reason ?? "the organisation could not be created");
                var conflict = (result.Code == "slug" && await SystemData.OrganisationSlugExistsAsync(Slug, ct))
                    || (result.Code == "ownerEmail" && OwnerEmail.Length > 0 && await SystemData.FindPersonByEmailAsync(OwnerEmail, ct) is not null);
                Response.StatusCode = conflict ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity;
            }
        }
        Organisations = await SystemData.ListOrganisationsAsync(ct);
        await CountWaitingAsync(ct);
        return Page();
    }

    private async Task CountWaitingAsync(CancellationToken ct)
    {
        HeldImports = (await new ImportStore(db).ListByStatusAsync(ImportStatuses.Held, ct)).Count;
        Suspended = (await new AcceptableUseStore(db).ListAsync(open: true, 10_000, ct)).Count;
    }

    private IActionResult OwnOrganisation() =>
        NavOrganisation is { } own ? LocalRedirect("/admin/o/" + own.Slug) : NotFoundPage("organisation");
}
