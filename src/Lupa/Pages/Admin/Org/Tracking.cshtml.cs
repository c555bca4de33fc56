using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/settings/tracking: whether the organisation keeps individual opens and clicks. Off by default;
/// never for people who objected to profiling. Everyone reads it; owners and admins change it.
/// </summary>
public sealed class TrackingModel(SystemStore system, LupaDatabase db, TimeProvider clock) : Lupa.Admin.OrgPageModel(system, db, clock)
{
    /// <summary>The setting as stored or as posted.</summary>
    [BindProperty]
    public bool IndividualTracking { get; set; }

    /// <summary>True after a save.</summary>
    public bool Saved { get; private set; }

    /// <summary>Shows the setting.</summary>
    public async Task OnGetAsync(bool saved, CancellationToken ct)
    {
        IndividualTracking = await new TrackingStore(Database, Organisation.Id).IndividualTrackingAsync(ct);
        Saved = saved;
    }

    /// <summary>Saves the setting.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!CanAdminister)
            return ForbiddenPage("Owners and admins change the tracking setting.");
        await new TrackingStore(Database, Organisation.Id).SetIndividualTrackingAsync(IndividualTracking, ct);
        return LocalRedirect(OrgUrl("settings/tracking") + "?saved=true");
    }
}
