using Lupa.Admin;
using Lupa.Domain;
using Lupa.Lists;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/lists/{id}: edit a list (read-only for viewers) and see its wording versions.</summary>
public sealed class ListModel(SystemStore system, LupaDatabase db, TimeProvider clock, ListExport export) : OrgPageModel(system, db, clock)
{
    /// <summary>Whether the person may export the list's subscribers: editors and the privacy officer.</summary>
    public bool CanExport => CanEdit || Role == Roles.PrivacyOfficer;

    /// <summary>The list as stored.</summary>
    public ListRow List { get; private set; } = null!;

    /// <summary>Every wording version, newest first.</summary>
    public IReadOnlyList<ConsentWordingRow> Wordings { get; private set; } = [];

    /// <summary>True after a successful save.</summary>
    public bool Saved { get; private set; }

    /// <summary>The edit form.</summary>
    [BindProperty]
    public ListForm Form { get; set; } = new();

    /// <summary>Shows the list.</summary>
    public async Task<IActionResult> OnGetAsync(long id, bool saved, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
            return NotFoundPage("list");
        Form = ListForm.From(List);
        Saved = saved;
        return Page();
    }

    /// <summary>The list's confirmed subscribers as CSV (restricted people left out), recorded in the audit trail.</summary>
    public async Task<IActionResult> OnGetExportAsync(long id, CancellationToken ct)
    {
        var list = await Store.GetListAsync(id, ct);
        if (list is null)
            return NotFoundPage("list");
        if (!CanExport)
            return ForbiddenPage("Exporting subscribers is for editors and the privacy officer.");
        var (orgId, actor) = (Organisation.Id, Person.Email);
        return new StreamedCsvResult(list.Slug + ".csv", (output, token) => export.WriteAsync(orgId, list, output, actor, null, token));
    }

    /// <summary>Saves the list; a changed wording becomes a new version.</summary>
    public async Task<IActionResult> OnPostAsync(long id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
            return NotFoundPage("list");
        if (DenyUnlessEdit() is { } denied)
            return denied;
        var (fields, wording, error, status) = Form.Check(Organisation.Name, List);
        if (error is null)
        {
            try
            {
                var updated = await Store.UpdateListAsync(id, fields!, wording!, ConsentWording.Hash(wording!), Now(), ct);
                if (updated is null)
                    return NotFoundPage("list");
                return LocalRedirect(OrgUrl("lists/" + id) + "?saved=true");
            }
            catch (SlugTakenException)
            {
                error = $"A list with the slug '{fields!.Slug}' exists in this organisation.";
                status = StatusCodes.Status409Conflict;
            }
        }
        Refuse(error, status);
        return Page();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken ct)
    {
        var list = await Store.GetListAsync(id, ct);
        if (list is null)
            return false;
        List = list;
        Wordings = await Store.ListWordingsAsync(id, ct);
        return true;
    }
}
