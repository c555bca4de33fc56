using Lupa.Admin;
using Lupa.Domain;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/lists: the lists with their counts, and the form to create one.</summary>
public sealed class ListsModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    /// <summary>The organisation's lists.</summary>
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    /// <summary>Subscriptions per status for each list.</summary>
    public IReadOnlyDictionary<long, Dictionary<string, long>> Counts { get; private set; } = new Dictionary<long, Dictionary<string, long>>();

    /// <summary>The list just created (after the redirect).</summary>
    public ListRow? CreatedList { get; private set; }

    /// <summary>The create form.</summary>
    [BindProperty]
    public ListForm Form { get; set; } = new();

    /// <summary>Shows the lists.</summary>
    public async Task OnGetAsync(long? created, CancellationToken ct)
    {
        if (created is { } id)
            CreatedList = await Store.GetListAsync(id, ct);
        await LoadAsync(ct);
    }

    /// <summary>Creates a list.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (DenyUnlessEdit() is { } denied)
            return denied;
        var (fields, wording, error, status) = Form.Check(Organisation.Name, existing: null);
        if (error is null)
        {
            var list = await Store.CreateListAsync(fields!, wording!, ConsentWording.Hash(wording!), Now(), ct);
            if (list is not null)
                return LocalRedirect(OrgUrl("lists") + "?created=" + list.Id);
            error = $"A list with the slug '{fields!.Slug}' exists in this organisation.";
            status = StatusCodes.Status409Conflict;
        }
        Refuse(error, status);
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Lists = await Store.ListListsAsync(ct);
        Counts = await Store.CountSubscriptionsAsync(ct);
    }
}
