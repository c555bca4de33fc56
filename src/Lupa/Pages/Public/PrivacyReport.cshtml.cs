using System.Text;
using System.Text.Json;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>
/// /privacy/report/{token}: the answer to an access request (Article 15) as a page and as JSON (?format=json), or to a
/// portability request (Article 20) as JSON and CSV (?format=csv). The link was mailed to the person and is time-limited;
/// the data is read when it is opened.
/// </summary>
public sealed class PrivacyReportModel(PrivacyRequestService privacy, PrivacyReports reports) : PageModel
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public PrivacyText Text { get; private set; } = PrivacyText.For("en");
    public PublicText Words { get; private set; } = PublicText.For("en");
    public PrivacyRequestRow? Row { get; private set; }
    public AccessReport? Access { get; private set; }
    public PortableData? Portable { get; private set; }
    public string OrganisationName { get; private set; } = "";
    public bool Expired { get; private set; }
    public string Token { get; private set; } = "";

    /// <summary>Whether this is the answer to a portability request.</summary>
    public bool IsPortability => Row?.Type == PrivacyRequestTypes.Portability;

    public async Task<IActionResult> OnGetAsync(string token, string? format, CancellationToken ct)
    {
        var (problem, row, org) = await privacy.ReadReportLinkAsync(token, ct);
        if (problem != LinkProblem.None)
        {
            Expired = problem == LinkProblem.Expired;
            Response.StatusCode = Expired ? StatusCodes.Status410Gone : StatusCodes.Status404NotFound;
            return Page();
        }
        Row = row;
        Token = token;
        Text = PrivacyText.For(row!.Language);
        Words = PublicText.For(row.Language);
        OrganisationName = org!.Name;
        format = format?.ToLowerInvariant();
        if (format is not (null or "json" or "csv") || (format == "csv" && !IsPortability))
            return NotFound();
        await privacy.RecordReportReadAsync(org.Id, row, format ?? "page", ct);
        var name = $"{org.Slug}-{row.Type}-{row.Id}";
        if (IsPortability)
        {
            Portable = await reports.PortableAsync(org.Id, row, ct);
            if (format == "csv")
                return File(Encoding.UTF8.GetBytes(PrivacyReports.Csv(Portable)), "text/csv; charset=utf-8", name + ".csv");
            if (format == "json")
                return File(JsonSerializer.SerializeToUtf8Bytes(Portable, Json), "application/json", name + ".json");
            return Page();
        }
        Access = await reports.AccessAsync(org, row, ct);
        if (format == "json")
            return File(JsonSerializer.SerializeToUtf8Bytes(Access, Json), "application/json", name + ".json");
        return Page();
    }
}
