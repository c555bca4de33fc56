using Lupa.Admin;
using Lupa.Api;
using Lupa.Campaigns;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/settings/layout: the postal address every marketing mail shows, the brand colour
/// and an optional layout of the organisation's own. Everyone reads it; owners and admins change it.
/// </summary>
public sealed class LayoutModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignService campaigns) : OrgPageModel(system, db, clock)
{
    /// <summary>The postal address as typed or stored.</summary>
    [BindProperty]
    public string? PostalAddress { get; set; }

    /// <summary>The brand colour, #rrggbb, or empty for the default.</summary>
    [BindProperty]
    public string? BrandColour { get; set; }

    /// <summary>The custom layout HTML, or empty for the built-in one.</summary>
    [BindProperty]
    public string? CustomLayout { get; set; }

    /// <summary>The field the refusal is about (postalAddress, brandColour, customLayout).</summary>
    public string? ProblemField { get; private set; }

    /// <summary>True after a save.</summary>
    public bool Saved { get; private set; }

    /// <summary>Shows the settings.</summary>
    public async Task OnGetAsync(bool saved, CancellationToken ct)
    {
        var layout = await campaigns.For(Organisation.Id).GetLayoutAsync(ct);
        PostalAddress = layout.PostalAddress;
        BrandColour = layout.BrandColour;
        CustomLayout = layout.CustomLayout;
        Saved = saved;
    }

    /// <summary>Checks and saves the settings, by the same rules as the API.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!CanAdminister)
            return ForbiddenPage("Owners and admins change the layout.");
        if (SendingApi.LayoutProblem(PostalAddress, BrandColour, CustomLayout) is { } problem)
        {
            ProblemField = problem.Field;
            var label = problem.Field switch
            {
                "postalAddress" => "the postal address ",
                "brandColour" => "the brand colour ",
                "customLayout" => "the custom layout: ",
                _ => "",
            };
            Refuse(AdminText.Sentence(label + problem.Message));
            return Page();
        }
        await SendingApi.SaveLayoutAsync(campaigns.For(Organisation.Id), PostalAddress, BrandColour, CustomLayout, ct);
        return LocalRedirect(OrgUrl("settings/layout") + "?saved=true");
    }
}
