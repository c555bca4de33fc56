using System.Security.Claims;
using System.Text.Json;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Lupa.Api;

/// <summary>An organisation's retention policy.</summary>
/// <param name="PendingDays">Unconfirmed subscriptions (and unverified requests) are removed after this many days.</param>
/// <param name="TrackingMonths">Per-person delivery and tracking records are deleted after this many months.</param>
/// <param name="UnsubscribedMonths">People who unsubscribed from everything are erased this many months after their last withdrawal.</param>
/// <param name="ClosedRequestYears">Closed data-subject requests (without addresses after 30 days) are deleted after this many years.</param>
/// <param name="IsDefault">True while the organisation has not set its own.</param>
/// <param name="UpdatedAt">When it was last set.</param>
/// <param name="UpdatedBy">Who set it.</param>
/// <param name="Rules">The policy in words.</param>
public sealed record RetentionPolicyDto(
    int PendingDays, int TrackingMonths, int UnsubscribedMonths, int ClosedRequestYears, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedBy,
    IReadOnlyList<string> Rules);

/// <summary>The body of PUT /api/v1/privacy/retention: fields left out keep their value.</summary>
public sealed class RetentionPolicyInput
{
    /// <summary>1 to 365 (default 30).</summary>
    public int? PendingDays { get; set; }

    /// <summary>1 to 120 (default 13).</summary>
    public int? TrackingMonths { get; set; }

    /// <summary>1 to 120 (default 24).</summary>
    public int? UnsubscribedMonths { get; set; }

    /// <summary>1 to 10 (default 3).</summary>
    public int? ClosedRequestYears { get; set; }
}

/// <summary>One run of the retention job.</summary>
/// <param name="Id">The run's id (null for a dry run).</param>
/// <param name="Status">running, done or failed; dry_run for a dry run.</param>
/// <param name="Actor">Who ran it: the schedule, a person, an API key or the terminal.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Counts">What each step removed (or would remove): pendingSubscriptions, pendingPeople, unverifiedRequests, campaignRecipients, bounceEvents, outboxMessages, trackingEvents, unsubscribedPeople, requestAddresses, closedRequests.</param>
/// <param name="Error">Why it failed.</param>
public sealed record RetentionRunDto(long? Id, string Status, string Actor, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, IReadOnlyDictionary<string, long> Counts, string? Error);

/// <summary>One entry of the audit trail.</summary>
/// <param name="Id">Its place in the chain.</param>
/// <param name="At">When.</param>
/// <param name="Actor">Who: a login address, api-key:{id}:{prefix}, self-service, or Lupa itself.</param>
/// <param name="Action">What, e.g. subscriber.view, export, privacy_request.fulfil, retention.run.</param>
/// <param name="Subject">To what, by id (subscriber:12).</param>
/// <param name="Details">Facts as JSON: ids, counts, field names, never personal data.</param>
/// <param name="Hash">The entry's hash in the chain.</param>
public sealed record AuditEntryDto(long Id, DateTimeOffset At, string Actor, string Action, string Subject, JsonElement Details, string Hash);

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditPage(AuditEntryDto[] Items, string? NextCursor);

/// <summary>
/// /api/v1/privacy/records, /retention and /audit: the organisation's accountability (GDPR Articles 5(2), 5(1)(e) and 30):
/// its records of processing, its retention policy and the log of what retention removed, and its audit trail.
/// </summary>
public static class AccountabilityApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/privacy").WithTags("Accountability");
        g.MapGet("/records", Records).WithSummary("The organisation's record of processing activities (Article 30(1)): JSON, or Markdown with ?format=markdown or Accept: text/markdown.")
            .Produces<ControllerRecord>(200, "application/json").Produces<string>(200, "text/markdown");
        g.MapGet("/retention", GetPolicy).WithSummary("The retention policy in force (the defaults until the organisation sets its own).");
        g.MapPut("/retention", PutPolicy).WithSummary("Changes the retention policy; fields left out keep their value.").Accepts<RetentionPolicyInput>("application/json");
        g.MapGet("/retention/runs", Runs).WithSummary("The retention log: each run with what it removed, newest first; ?limit=.");
        g.MapPost("/retention/run", Run).WithSummary("Runs the retention policy now for this organisation and answers with what it removed; ?dryRun=true only counts.");
        g.MapGet("/audit", Audit).WithSummary("The organisation's audit trail, newest first: every view, export, change and deletion of personal data; ?limit=, ?cursor=.");
    }

    private static async Task<Results<Ok<ControllerRecord>, ContentHttpResult, ProblemHttpResult>> Records(
        string? format, HttpContext http, ClaimsPrincipal user, ApiServices s, RecordsOfProcessing records, CancellationToken ct)
    {
        var markdown = format?.ToLowerInvariant() switch
        {
            null or "" => http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/markdown", StringComparison.OrdinalIgnoreCase)),
            "markdown" or "md" => true,
            "json" => false,
            _ => (bool?)null,
        };
        if (markdown is null)
            return ApiBody.Invalid("format", "must be json or markdown");
        var record = await records.ControllerAsync(await s.OrganisationAsync(user, ct), ct);
        if (markdown == true)
            return TypedResults.Text(RecordsMarkdown.Write(record), "text/markdown; charset=utf-8");
        return TypedResults.Ok(record);
    }

    internal static RetentionPolicyDto ToDto(StoredRetentionPolicy p) =>
        new(p.Policy.PendingDays, p.Policy.TrackingMonths, p.Policy.UnsubscribedMonths, p.Policy.ClosedRequestYears, p.UpdatedAt is null,
            Time(p.UpdatedAt), p.UpdatedBy, p.Policy.Describe());

    internal static RetentionRunDto ToDto(RetentionRunRow r) =>
        new(r.Id, r.Status, r.Actor, Time(r.StartedAt), Time(r.FinishedAt), JsonSerializer.Deserialize<Dictionary<string, long>>(r.Counts) ?? [], r.Error);

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static async Task<Ok<RetentionPolicyDto>> GetPolicy(ClaimsPrincipal user, RetentionService retention, CancellationToken ct) =>
        TypedResults.Ok(ToDto(await retention.For(user.OrgId()).GetPolicyAsync(ct)));

    private static async Task<Results<Ok<RetentionPolicyDto>, ProblemHttpResult>> PutPolicy(HttpContext http, ClaimsPrincipal user, RetentionService retention, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<RetentionPolicyInput>(http);
        if (problem is not null)
            return problem;
        var current = (await retention.For(user.OrgId()).GetPolicyAsync(ct)).Policy;
        var policy = new RetentionPolicy(input!.PendingDays ?? current.PendingDays, input.TrackingMonths ?? current.TrackingMonths,
            input.UnsubscribedMonths ?? current.UnsubscribedMonths, input.ClosedRequestYears ?? current.ClosedRequestYears);
        var set = await retention.SetPolicyAsync(user.OrgId(), policy, user.Actor(), ct);
        if (!set.IsOk)
            return ApiBody.Invalid(set.Code!, set.Reason!);
        return TypedResults.Ok(ToDto(await retention.For(user.OrgId()).GetPolicyAsync(ct)));
    }

    private static async Task<Results<Ok<RetentionRunDto[]>, ProblemHttpResult>> Runs(int? limit, ClaimsPrincipal user, RetentionService retention, CancellationToken ct)
    {
        var take = limit ?? 50;
        if (take is < 1 or > 500)
            return ApiBody.Invalid("limit", "must be from 1 to 500");
        var rows = await retention.For(user.OrgId()).ListRunsAsync(take, 0, ct);
        return TypedResults.Ok(rows.Select(ToDto).ToArray());
    }

    private static async Task<Results<Ok<RetentionRunDto>, ProblemHttpResult>> Run(string? dryRun, ClaimsPrincipal user, ApiServices s, RetentionService retention, CancellationToken ct)
    {
        var dry = dryRun?.ToLowerInvariant() switch
        {
            null or "" or "false" or "0" => false,
            "true" or "1" => true,
            _ => (bool?)null,
        };
        if (dry is null)
            return ApiBody.Invalid("dryRun", "must be true or false");
        var started = DateTimeOffset.FromUnixTimeMilliseconds(s.Now());
        var result = await retention.RunAsync(await s.OrganisationAsync(user, ct), user.Actor(), dry.Value, null, null, ct);
        if (result.RunId is { } id && await retention.For(user.OrgId()).GetRunAsync(id, ct) is { } row)
            return TypedResults.Ok(ToDto(row));
        return TypedResults.Ok(new RetentionRunDto(null, "dry_run", user.Actor(), started, DateTimeOffset.FromUnixTimeMilliseconds(s.Now()), result.Counts, null));
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> Audit(int? limit, string? cursor, ClaimsPrincipal user, LupaDatabase db, CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
            return ApiBody.Invalid("limit", "must be from 1 to 1000");
        if (!ApiBody.TryReadCursor(cursor, out var before))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave out");
        var rows = await new AuditStore(db).ListAsync(user.OrgId(), take + 1, before, ct);
        var items = rows.Take(take).Select(e => new AuditEntryDto(e.Id, Time(e.At), e.Actor, e.Action, e.Subject, ReadDetails(e.Details), e.Hash)).ToArray();
        return TypedResults.Ok(new AuditPage(items, rows.Count > take ? ApiBody.Cursor(items[^1].Id) : null));
    }

    // Details are JSON written by Lupa; an entry from before that (or any text) is shown as a string.
    private static JsonElement ReadDetails(string details)
    {
        try
        {
            return JsonDocument.Parse(details).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(details);
        }
    }
}
