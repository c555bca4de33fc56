using Lupa.Admin;
using Lupa.Storage;
using Lupa.Tracking;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/campaigns/{id}/report: what a campaign's messages did: sent, delivered, bounces, complaints,
/// unsubscribes, opens and clicks (people and machines apart) over time and per link, as charts and tables, and
/// the same as CSV (<c>?handler=csv</c>). Everyone who may see the organisation reads it.
/// </summary>
public sealed class CampaignReportModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignReports reports) : OrgPageModel(system, db, clock)
{
    /// <summary>The report.</summary>
    public CampaignReport Report { get; private set; } = null!;

    /// <summary>Shows the report.</summary>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (await reports.ForAsync(Organisation.Id, id, ct) is not { } report)
            return NotFoundPage("campaign");
        Report = report;
        return Page();
    }

    /// <summary>The report as CSV, as the API gives it.</summary>
    public async Task<IActionResult> OnGetCsvAsync(long id, CancellationToken ct)
    {
        if (await reports.ForAsync(Organisation.Id, id, ct) is not { } report)
            return NotFoundPage("campaign");
        Response.Headers.CacheControl = "no-store";
        return File(System.Text.Encoding.UTF8.GetBytes(CampaignReports.Csv(report)), "text/csv; charset=utf-8", CampaignReports.CsvFileName(report));
    }
}
