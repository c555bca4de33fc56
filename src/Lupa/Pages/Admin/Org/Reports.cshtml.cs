using Lupa.AcceptableUse;
using Lupa.Admin;
using Lupa.Domain.Reports;
using Lupa.Reports;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/reports: list growth per week and consent sources as charts, with their CSV downloads,
/// and the organisation's standing under the acceptable use policy. Everyone who may see the organisation reads it.
/// </summary>
public sealed class ReportsModel(SystemStore system, LupaDatabase db, TimeProvider clock, OrganisationReports reports, AcceptableUseService acceptableUse)
    : OrgPageModel(system, db, clock)
{
    /// <summary>The periods the page offers, in weeks.</summary>
    public static readonly IReadOnlyList<int> Periods = [4, 12, 26, 52, 104];

    /// <summary>The weeks shown.</summary>
    public int Weeks { get; private set; } = OrganisationReports.DefaultWeeks;

    /// <summary>The list shown, or null for every list.</summary>
    public long? ListId { get; private set; }

    /// <summary>The organisation's lists, for the filter.</summary>
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    /// <summary>Growth per week.</summary>
    public OrganisationGrowth Growth { get; private set; } = null!;

    /// <summary>Consent by method and source.</summary>
    public ConsentSources Sources { get; private set; } = null!;

    /// <summary>The organisation under the acceptable use policy.</summary>
    public OrganisationStanding Standing { get; private set; } = null!;

    /// <summary>The days the standing adds up.</summary>
    public int WindowDays => acceptableUse.Policy.WindowDays;

    /// <summary>A week's label under the chart, such as 5 Jan.</summary>
    public static string WeekLabel(long week) => ReportWeeks.StartDate(week).ToString("d MMM", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>This page with a period and list.</summary>
    public string PageUrl(string? handler = null) =>
        OrgUrl("reports") + $"?weeks={Weeks}" + (ListId is { } l ? $"&list={l}" : "") + (handler is null ? "" : "&handler=" + handler);

    /// <summary>Shows the reports.</summary>
    public async Task<IActionResult> OnGetAsync(string? weeks, string? list, CancellationToken ct)
    {
        if (await ReadAsync(weeks, list, ct) is { } refused)
            return refused;
        Growth = await reports.GrowthAsync(Organisation.Id, Weeks, ListId, ct);
        Sources = await reports.ConsentSourcesAsync(Organisation.Id, ListId, ct);
        Standing = await acceptableUse.StandingAsync(Organisation.Id, ct);
        return Page();
    }

    /// <summary>The growth as CSV.</summary>
    public async Task<IActionResult> OnGetGrowthCsvAsync(string? weeks, string? list, CancellationToken ct) =>
        await ReadAsync(weeks, list, ct) ?? Csv(OrganisationReports.GrowthCsv(await reports.GrowthAsync(Organisation.Id, Weeks, ListId, ct)), "growth");

    /// <summary>The consent sources as CSV.</summary>
    public async Task<IActionResult> OnGetConsentSourcesCsvAsync(string? weeks, string? list, CancellationToken ct) =>
        await ReadAsync(weeks, list, ct) ?? Csv(OrganisationReports.ConsentSourcesCsv(await reports.ConsentSourcesAsync(Organisation.Id, ListId, ct)), "consent-sources");

    // The period and list asked for: 422 for a period out of range, 404 for a list that is not the organisation's.
    private async Task<IActionResult?> ReadAsync(string? weeks, string? list, CancellationToken ct)
    {
        Lists = await Store.ListListsAsync(ct);
        if (!string.IsNullOrEmpty(weeks))
        {
            if (!int.TryParse(weeks, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > OrganisationReports.MaxWeeks)
                return StatusPage(StatusCodes.Status422UnprocessableEntity, "Not a period", $"Choose from 1 to {OrganisationReports.MaxWeeks} weeks.");
            Weeks = n;
        }
        if (!string.IsNullOrEmpty(list))
        {
            if (!long.TryParse(list, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || Lists.All(l => l.Id != id))
                return NotFoundPage("list");
            ListId = id;
        }
        return null;
    }

    private FileContentResult Csv(string text, string name)
    {
        var list = ListId is { } l ? "-" + Lists.First(x => x.Id == l).Slug : "";
        return File(System.Text.Encoding.UTF8.GetBytes(text), "text/csv; charset=utf-8", $"{Organisation.Slug}{list}-{name}.csv");
    }
}
