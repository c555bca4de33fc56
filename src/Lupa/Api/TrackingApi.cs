using System.Security.Claims;
using Lupa.Storage;
using Lupa.Tracking;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>The organisation's tracking setting.</summary>
public sealed class TrackingSettingsDto
{
    /// <summary>
    /// Keep individual opens and clicks (who opened, who clicked which link) of people who have not objected to
    /// profiling. Off (the default): only counts per campaign, link and hour, with no person.
    /// </summary>
    public bool? IndividualTracking { get; set; }
}

/// <summary>Campaign reports (JSON and CSV) and the organisation's tracking setting.</summary>
public static class TrackingApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var c = api.MapGroup("/campaigns").WithTags("Campaigns");
        c.MapGet("/{id:long}/report", Report)
            .WithSummary("The campaign's report: sent, delivered, bounces, complaints, unsubscribes, opens and clicks (human and machine; unique where people are tracked individually), clicks per link and per hour.");
        c.MapGet("/{id:long}/report.csv", ReportCsv)
            .WithSummary("The campaign's report as CSV, one figure a row: section, hour, link_id, url, metric, value.");
        var t = api.MapGroup("/settings/tracking").WithTags("Settings");
        t.MapGet("/", GetSettings).WithSummary("Whether the organisation keeps individual opens and clicks.");
        t.MapPut("/", SetSettings).WithSummary("Turns individual tracking on or off (it never applies to people who objected to profiling).").Accepts<TrackingSettingsDto>("application/json");
    }

    private static async Task<Results<Ok<CampaignReport>, ProblemHttpResult>> Report(long id, ClaimsPrincipal user, CampaignReports reports, CancellationToken ct) =>
        await reports.ForAsync(user.OrgId(), id, ct) is { } report ? TypedResults.Ok(report) : ApiBody.NotFound("campaign");

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReportCsv(long id, ClaimsPrincipal user, CampaignReports reports, CancellationToken ct)
    {
        if (await reports.ForAsync(user.OrgId(), id, ct) is not { } report)
            return ApiBody.NotFound("campaign");
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(CampaignReports.Csv(report)), "text/csv; charset=utf-8", CampaignReports.CsvFileName(report));
    }

    private static async Task<Ok<TrackingSettingsDto>> GetSettings(ClaimsPrincipal user, LupaDatabase db, CancellationToken ct) =>
        TypedResults.Ok(new TrackingSettingsDto { IndividualTracking = await new TrackingStore(db, user.OrgId()).IndividualTrackingAsync(ct) });

    private static async Task<Results<Ok<TrackingSettingsDto>, ProblemHttpResult>> SetSettings(HttpContext http, ClaimsPrincipal user, LupaDatabase db, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<TrackingSettingsDto>(http);
        if (problem is not null)
            return problem;
        if (input!.IndividualTracking is not { } on)
            return ApiBody.Invalid("individualTracking", "must be true or false");
        var store = new TrackingStore(db, user.OrgId());
        await store.SetIndividualTrackingAsync(on, ct);
        return TypedResults.Ok(new TrackingSettingsDto { IndividualTracking = await store.IndividualTrackingAsync(ct) });
    }
}
