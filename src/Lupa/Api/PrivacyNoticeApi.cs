using System.Security.Claims;
using Lupa.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A privacy notice version.</summary>
public sealed record PrivacyNoticeDto(int Version, PrivacyNoticeContent Content, string Url, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>/api/v1/privacy-notice: the organisation's versioned privacy notice (Article 13).</summary>
public static class PrivacyNoticeApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/privacy-notice").WithTags("Privacy notice");
        g.MapGet("/", Current).WithSummary("The current privacy notice.");
        g.MapPut("/", Publish).WithSummary("Publishes a new version of the privacy notice.").Accepts<PrivacyNoticeContent>("application/json");
        g.MapGet("/versions", Versions).WithSummary("Every version, newest first.");
    }

    private static async Task<Results<Ok<PrivacyNoticeDto>, ProblemHttpResult>> Current(ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var org = await s.OrganisationAsync(user, ct);
        var row = await s.Store(user).GetPrivacyNoticeAsync(ct: ct);
        return row is null ? ApiBody.NotFound("privacy notice") : TypedResults.Ok(new PrivacyNoticeDto(row.Version, PrivacyNoticeContent.FromJson(row.Content), s.Links.Notice(org.Slug), DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), row.CreatedBy));
    }

    private static async Task<Ok<PrivacyNoticeDto[]>> Versions(ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var org = await s.OrganisationAsync(user, ct);
        var rows = await s.Store(user).ListPrivacyNoticesAsync(ct);
        return TypedResults.Ok(rows.Select(r => new PrivacyNoticeDto(r.Version, PrivacyNoticeContent.FromJson(r.Content), s.Links.Notice(org.Slug) + "?version=" + r.Version, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.CreatedBy)).ToArray());
    }

    private static async Task<Results<Ok<PrivacyNoticeDto>, ProblemHttpResult>> Publish(HttpContext http, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var (content, problem) = await ApiBody.ReadAsync<PrivacyNoticeContent>(http);
        if (problem is not null)
            return problem;
        if (content!.Problem() is { } p)
            return ApiBody.Invalid(p.Field, p.Reason);
        await s.Store(user).AddPrivacyNoticeAsync(content.ToJson(), user.Actor(), s.Now(), ct);
        return await Current(user, s, ct);
    }
}
