using System.Globalization;
using System.Security.Claims;
using Lupa.AcceptableUse;
using Lupa.Domain.AcceptableUse;
using Lupa.Domain.Reports;
using Lupa.Reports;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>One measure of the acceptable use policy.</summary>
/// <param name="Measure"><c>hard_bounce_rate</c>, <c>complaint_rate</c> or <c>unsubscribe_rate</c>.</param>
/// <param name="Level"><c>ok</c>, <c>warning</c> or <c>stop</c>.</param>
/// <param name="Count">Hard bounces, complaints or unsubscribes.</param>
/// <param name="Of">The messages they are counted against (for hard bounces: sent or refused; otherwise sent).</param>
/// <param name="Rate">Count over of.</param>
/// <param name="WarningAt">The warning threshold.</param>
/// <param name="StopAt">The stop threshold.</param>
/// <param name="Judged">False while less than the policy's minimum volume was sent: the rate does not act.</param>
public sealed record PolicyFindingDto(string Measure, string Level, long Count, long Of, double Rate, double WarningAt, double StopAt, bool Judged)
{
    internal static PolicyFindingDto From(PolicyFinding f) =>
        new(f.Measure, LevelName(f.Level), f.Count, f.Of, Math.Round(f.Rate, 6), f.WarningAt, f.StopAt, f.Judged);

    internal static string LevelName(PolicyLevel level) => level switch
    {
        PolicyLevel.Stop => "stop",
        PolicyLevel.Warning => "warning",
        _ => "ok",
    };
}

/// <summary>The open suspension of the organisation's sending.</summary>
/// <param name="Reason">Why, in words.</param>
/// <param name="Measure">The measure that stopped it.</param>
/// <param name="CampaignId">The campaign whose rates did, or null when the organisation's window did.</param>
/// <param name="SuspendedAt">Since when.</param>
/// <param name="ReviewedAt">When the operator last looked and kept it, or null.</param>
/// <param name="ReviewNote">The operator's note, or null.</param>
public sealed record SuspensionDto(string Reason, string Measure, long? CampaignId, DateTimeOffset SuspendedAt, DateTimeOffset? ReviewedAt, string? ReviewNote);

/// <summary>The organisation under the acceptable use policy.</summary>
/// <param name="Suspended">True while no campaign can start or resume.</param>
/// <param name="Suspension">The open suspension, or null.</param>
/// <param name="Level"><c>ok</c>, <c>warning</c> or <c>stop</c> (stop while suspended).</param>
/// <param name="WindowDays">The days over which the organisation's campaigns are added up (by the day they started).</param>
/// <param name="MinimumVolume">Messages needed before a rate warns or stops.</param>
/// <param name="Findings">The window's campaigns added up, against the thresholds.</param>
public sealed record AcceptableUseDto(bool Suspended, SuspensionDto? Suspension, string Level, int WindowDays, long MinimumVolume, PolicyFindingDto[] Findings);

/// <summary>One week of list growth.</summary>
/// <param name="WeekStart">Monday of the week (weeks run Monday 00:00 to Sunday 24:00 UTC).</param>
/// <param name="Confirmations">Consent grants: confirmed subscriptions, by any method.</param>
/// <param name="Unsubscribes">Consent withdrawals, by any method.</param>
/// <param name="HardBounces">Hard bounces.</param>
/// <param name="SoftBounces">Soft bounces.</param>
/// <param name="Complaints">Complaints.</param>
/// <param name="Net">Confirmations less unsubscribes.</param>
public sealed record GrowthWeekDto(DateOnly WeekStart, long Confirmations, long Unsubscribes, long HardBounces, long SoftBounces, long Complaints, long Net);

/// <summary>List growth per week, oldest first, with the totals.</summary>
/// <param name="ListId">The list, or null for every list.</param>
/// <param name="From">The first day covered.</param>
/// <param name="To">The last day covered.</param>
/// <param name="Weeks">Every week, zeros included.</param>
/// <param name="Totals">The weeks added up (its week start is <paramref name="From"/>).</param>
public sealed record GrowthDto(long? ListId, DateOnly From, DateOnly To, GrowthWeekDto[] Weeks, GrowthWeekDto Totals);

/// <summary>Where consent came from.</summary>
/// <param name="ListId">The list, or null for every list.</param>
/// <param name="Methods">Consent records by method (<c>double_opt_in</c>, <c>form</c>, <c>import</c>, <c>api</c>, <c>unsubscribe</c>, …): grants and withdrawals.</param>
/// <param name="Sources">Grants by method, evidence method and source, most first (at most 50; a web address without its query).</param>
public sealed record ConsentSourcesDto(long? ListId, ConsentMethodCount[] Methods, ConsentSourceCount[] Sources);

/// <summary>/api/v1/reports and /api/v1/acceptable-use: the organisation's reports and its standing under the acceptable use policy.</summary>
public static class ReportsApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/reports").WithTags("Reports");
        g.MapGet("/growth", Growth)
            .WithSummary("List growth per week: confirmations, unsubscribes, bounces and complaints. ?weeks=12 (1-260), ?listId=, ?format=json|csv.")
            .Produces<GrowthDto>(200).Produces(200, contentType: "text/csv").ProducesProblem(404).ProducesProblem(422);
        g.MapGet("/consent-sources", ConsentSources)
            .WithSummary("Consent records by method and grants by source. ?listId=, ?format=json|csv.")
            .Produces<ConsentSourcesDto>(200).Produces(200, contentType: "text/csv").ProducesProblem(404).ProducesProblem(422);
        api.MapGet("/acceptable-use", Standing).WithTags("Reports")
            .WithSummary("The organisation under the acceptable use policy: whether its sending is suspended and why, and its rates over the window.");
    }

    private static async Task<IResult> Growth(string? weeks, string? listId, string? format, ClaimsPrincipal user, ApiServices s, OrganisationReports reports, CancellationToken ct)
    {
        var count = OrganisationReports.DefaultWeeks;
        if (!string.IsNullOrEmpty(weeks) && (!int.TryParse(weeks, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > OrganisationReports.MaxWeeks))
            return ApiBody.Invalid("weeks", $"must be a whole number from 1 to {OrganisationReports.MaxWeeks}");
        var (list, problem) = await ReadQueryAsync(listId, format, user, s, ct);
        if (problem is not null)
            return problem;
        var growth = await reports.GrowthAsync(user.OrgId(), count, list, ct);
        if (IsCsv(format))
            return Csv(OrganisationReports.GrowthCsv(growth), "growth.csv");
        var items = growth.Weeks.Select(w => new GrowthWeekDto(ReportWeeks.StartDate(w.Week), w.Confirmations, w.Unsubscribes, w.HardBounces, w.SoftBounces, w.Complaints, w.Net)).ToArray();
        var from = items[0].WeekStart;
        var totals = new GrowthWeekDto(from, items.Sum(w => w.Confirmations), items.Sum(w => w.Unsubscribes), items.Sum(w => w.HardBounces),
            items.Sum(w => w.SoftBounces), items.Sum(w => w.Complaints), items.Sum(w => w.Net));
        return TypedResults.Ok(new GrowthDto(list, from, items[^1].WeekStart.AddDays(6), items, totals));
    }

    private static async Task<IResult> ConsentSources(string? listId, string? format, ClaimsPrincipal user, ApiServices s, OrganisationReports reports, CancellationToken ct)
    {
        var (list, problem) = await ReadQueryAsync(listId, format, user, s, ct);
        if (problem is not null)
            return problem;
        var report = await reports.ConsentSourcesAsync(user.OrgId(), list, ct);
        return IsCsv(format)
            ? Csv(OrganisationReports.ConsentSourcesCsv(report), "consent-sources.csv")
            : TypedResults.Ok(new ConsentSourcesDto(list, report.Methods.ToArray(), report.Sources.ToArray()));
    }

    private static async Task<Ok<AcceptableUseDto>> Standing(ClaimsPrincipal user, AcceptableUseService acceptableUse, CancellationToken ct) =>
        TypedResults.Ok(ToDto(await acceptableUse.StandingAsync(user.OrgId(), ct), acceptableUse.Policy));

    internal static AcceptableUseDto ToDto(OrganisationStanding standing, AcceptableUsePolicy policy) => new(
        standing.Suspension is not null,
        standing.Suspension is { } s
            ? new SuspensionDto(s.Reason, s.Measure, s.CampaignId, DateTimeOffset.FromUnixTimeMilliseconds(s.SuspendedAt),
                s.ReviewedAt is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null, s.ReviewNote)
            : null,
        PolicyFindingDto.LevelName(standing.Level), policy.WindowDays, policy.MinimumVolume, standing.Findings.Select(PolicyFindingDto.From).ToArray());

    // The list (one of the caller's, or none) and the format, or the problem with either.
    private static async Task<(long? ListId, IResult? Problem)> ReadQueryAsync(string? listId, string? format, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(format) && format is not ("json" or "csv"))
            return (null, ApiBody.Invalid("format", "must be json or csv"));
        if (string.IsNullOrEmpty(listId))
            return (null, null);
        if (!long.TryParse(listId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return (null, ApiBody.Invalid("listId", "must be a list's id"));
        return await s.Store(user).GetListAsync(id, ct) is null ? (null, ApiBody.NotFound("list")) : (id, null);
    }

    private static bool IsCsv(string? format) => format == "csv";

    private static IResult Csv(string text, string fileName) =>
        TypedResults.File(System.Text.Encoding.UTF8.GetBytes(text), "text/csv; charset=utf-8", fileName);
}
