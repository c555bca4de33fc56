using System.Globalization;
using System.Security.Claims;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A data-subject request in the register.</summary>
/// <param name="Id">The request's id.</param>
/// <param name="Type">access, portability, rectification, erasure, restriction or objection.</param>
/// <param name="ObjectionScope">For an objection: direct_marketing or profiling.</param>
/// <param name="Email">The subject's address (null once erased).</param>
/// <param name="SubscriberId">The subscriber with that address when the request was registered or verified, if any.</param>
/// <param name="Language">The language the subject is written to in: fi or en.</param>
/// <param name="Channel">self_service, letter, phone, email or api.</param>
/// <param name="ReceivedAt">When the request was received.</param>
/// <param name="VerifiedAt">When it was verified (the link opened, or registered by the officer).</param>
/// <param name="DueDate">The date the answer is due now: one calendar month after receipt, or the extended date.</param>
/// <param name="DueAt">The end of that date in the organisation's time zone.</param>
/// <param name="FirstDueDate">One calendar month after receipt.</param>
/// <param name="ExtensionMonths">Further months granted (0 to 2).</param>
/// <param name="ExtensionReason">Why, as the subject was told.</param>
/// <param name="Status">received, verified, in_progress, extended, completed, refused or withdrawn.</param>
/// <param name="Deadline">For an open request: on_time, due_soon (within 7 days) or overdue.</param>
/// <param name="DaysLeft">For an open request: days to the due date (negative when overdue).</param>
/// <param name="Handler">Who acted on it last.</param>
/// <param name="Outcome">What was done, or the reason for a refusal.</param>
/// <param name="Details">What the subject or the officer wrote (for rectification: what to correct).</param>
/// <param name="CreatedBy">self-service, or who registered it.</param>
/// <param name="ClosedAt">When it was completed or refused.</param>
/// <param name="AwaitingApproval">True while a verified self-service request waits for the privacy officer's approval (the organisation's fulfilment setting).</param>
/// <param name="ApprovedBy">Who approved its fulfilment.</param>
/// <param name="ApprovedAt">When.</param>
public sealed record PrivacyRequestDto(
    long Id, string Type, string? ObjectionScope, string? Email, long? SubscriberId, string Language, string Channel,
    DateTimeOffset ReceivedAt, DateTimeOffset? VerifiedAt, DateOnly DueDate, DateTimeOffset DueAt, DateOnly FirstDueDate, int ExtensionMonths,
    string? ExtensionReason, string Status, string? Deadline, int? DaysLeft, string? Handler, string? Outcome, string Details, string CreatedBy,
    DateTimeOffset? ClosedAt, bool AwaitingApproval, string? ApprovedBy, DateTimeOffset? ApprovedAt);

/// <summary>The body and answer of /api/v1/settings/privacy.</summary>
public sealed class PrivacySettingsDto
{
    /// <summary>
    /// automatic (the default): verified self-service requests (access, portability, erasure, restriction, objection)
    /// are fulfilled at once; approval: they wait in the register until the privacy officer approves them.
    /// </summary>
    public string? Fulfilment { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/requests: a request that came by letter, phone or mail.</summary>
public sealed class PrivacyRequestInput
{
    /// <summary>access, portability, rectification, erasure, restriction or objection.</summary>
    public string? Type { get; set; }

    /// <summary>For an objection: direct_marketing (default) or profiling.</summary>
    public string? ObjectionScope { get; set; }

    /// <summary>The subject's address.</summary>
    public string? Email { get; set; }

    /// <summary>letter (default), phone, email or api.</summary>
    public string? Channel { get; set; }

    /// <summary>When it was received: a date (2025-01-31, the start of that day in the organisation's time zone) or a date-time with offset; default now.</summary>
    public string? ReceivedAt { get; set; }

    /// <summary>What the subject asked in their words; for rectification, what to correct.</summary>
    public string? Details { get; set; }

    /// <summary>fi or en: the language mail to the subject is written in (default the subscriber's, else en).</summary>
    public string? Language { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/requests/{id}/extend.</summary>
public sealed class ExtendInput
{
    /// <summary>1 or 2 further months; the total never more than 2.</summary>
    public int? Months { get; set; }

    /// <summary>Why; the subject is told.</summary>
    public string? Reason { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/requests/{id}/complete.</summary>
public sealed class CompleteInput
{
    /// <summary>What was done.</summary>
    public string? Outcome { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/requests/{id}/fulfil: for a rectification, the corrected values (fields left out stay).</summary>
public sealed class FulfilInput
{
    /// <summary>The corrected name.</summary>
    public string? Name { get; set; }

    /// <summary>The corrected language: fi or en.</summary>
    public string? Language { get; set; }

    /// <summary>Attributes to set; a null or empty value removes the attribute.</summary>
    public Dictionary<string, string?>? Attributes { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/requests/{id}/refuse.</summary>
public sealed class RefuseInput
{
    /// <summary>Why the request is refused; the subject is told, with their right to complain.</summary>
    public string? Reason { get; set; }
}

/// <summary>
/// /api/v1/privacy/requests: the register of data-subject requests (GDPR Articles 12, 15-21) with their
/// one-month deadlines. An API key acts for the organisation (keys are made by its owners and admins).
/// </summary>
public static class PrivacyRequestsApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/privacy/requests").WithTags("Privacy requests");
        g.MapGet("/", List).WithSummary("The register: open requests first, soonest due first; ?status=, ?overdue=true, ?dueSoon=true, ?limit=.");
        g.MapPost("/", Register).WithSummary("Registers a request that came by letter, phone or mail; verified at once.").Accepts<PrivacyRequestInput>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One request with its deadline.");
        g.MapPost("/{id:long}/extend", Extend).WithSummary("Extends the deadline by 1 or 2 further months with a reason; the subject is told by mail.").Accepts<ExtendInput>("application/json");
        g.MapPost("/{id:long}/fulfil", Fulfil).WithSummary("Does what the request asks and completes it: erasure, restriction, objection, access or portability (the answer mailed); rectification with the corrected values in the body.").Accepts<FulfilInput>("application/json");
        g.MapPost("/{id:long}/complete", Complete).WithSummary("Completes the request with its outcome.").Accepts<CompleteInput>("application/json");
        g.MapPost("/{id:long}/refuse", Refuse).WithSummary("Refuses the request with a reason; the subject is told, with their right to complain.").Accepts<RefuseInput>("application/json");
        g.MapPost("/{id:long}/approve", Approve).WithSummary("Approves a verified self-service request that waits for approval, and fulfils it.");
        var settings = api.MapGroup("/settings/privacy").WithTags("Privacy requests");
        settings.MapGet("/", GetSettings).WithSummary("Whether verified self-service requests are fulfilled automatically or after approval.");
        settings.MapPut("/", PutSettings).WithSummary("Sets fulfilment to automatic or approval.").Accepts<PrivacySettingsDto>("application/json");
    }

    internal static PrivacyRequestDto ToDto(PrivacyRequestRow r, PrivacyRequestService s)
    {
        var state = s.State(r);
        var due = s.DueDate(r);
        return new PrivacyRequestDto(r.Id, r.Type, r.ObjectionScope, r.SubjectEmail, r.SubscriberId, r.Language, r.Channel,
            Time(r.ReceivedAt), r.VerifiedAt is { } v ? Time(v) : null, due, Time(r.EffectiveDueAt), s.DateOf(r.DueAt), r.ExtensionMonths,
            r.ExtensionReason, r.Status, state switch
            {
                null => null,
                DeadlineState.Overdue => "overdue",
                DeadlineState.DueSoon => "due_soon",
                _ => "on_time",
            },
            state is null ? null : PrivacyDeadlines.DaysLeft(due, s.Today()), r.Handler, r.Outcome, r.Details, r.CreatedBy,
            r.ClosedAt is { } c ? Time(c) : null, r.AwaitingApproval, r.ApprovedBy, r.ApprovedAt is { } a ? Time(a) : null);
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static ProblemHttpResult Problem<T>(Outcome<T> o) => o.Code switch
    {
        "not_found" => ApiBody.NotFound("privacy request"),
        "status" => ApiBody.Conflict("status", o.Reason!),
        _ => ApiBody.Invalid(o.Code!, o.Reason!),
    };

    private static bool? Flag(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => null,
    };

    private static async Task<Results<Ok<PrivacyRequestDto[]>, ProblemHttpResult>> List(
        string? status, string? overdue, string? dueSoon, string? awaitingApproval, int? limit, ClaimsPrincipal user, PrivacyRequestService s, ApiServices api, CancellationToken ct)
    {
        if (Flag(awaitingApproval) is not { } isAwaiting)
            return ApiBody.Invalid("awaitingApproval", "must be true or false");
        if (status is not null && !PrivacyRequestStatuses.IsKnown(status))
            return ApiBody.Invalid("status", "must be one of " + string.Join(", ", PrivacyRequestStatuses.All));
        if (Flag(overdue) is not { } isOverdue)
            return ApiBody.Invalid("overdue", "must be true or false");
        if (Flag(dueSoon) is not { } isDueSoon)
            return ApiBody.Invalid("dueSoon", "must be true or false");
        var take = limit ?? 100;
        if (take is < 1 or > 500)
            return ApiBody.Invalid("limit", "must be from 1 to 500");
        var rows = await s.For(user.OrgId()).ListAsync(s.Filter(status, isOverdue, isDueSoon, take) with { AwaitingApproval = isAwaiting }, ct);
        await api.AuditListedAsync(user, AuditActions.PrivacyRequestList, "privacy_requests", rows.Select(r => r.Id).ToList(), new { status }, ct);
        return TypedResults.Ok(rows.Select(r => ToDto(r, s)).ToArray());
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, PrivacyRequestService s, ApiServices api, CancellationToken ct)
    {
        var row = await s.For(user.OrgId()).GetAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("privacy request");
        await api.AuditAsync(user, AuditActions.PrivacyRequestView, "privacy_request:" + id, null, ct);
        return TypedResults.Ok(ToDto(row, s));
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Approve(long id, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var result = await s.ApproveAsync(user.OrgId(), id, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Ok<PrivacySettingsDto>> GetSettings(ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct) =>
        TypedResults.Ok(new PrivacySettingsDto { Fulfilment = await s.FulfilmentApprovalAsync(user.OrgId(), ct) ? "approval" : "automatic" });

    private static async Task<Results<Ok<PrivacySettingsDto>, ProblemHttpResult>> PutSettings(HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<PrivacySettingsDto>(http);
        if (problem is not null)
            return problem;
        if (input!.Fulfilment is not null)
        {
            if (input.Fulfilment is not ("automatic" or "approval"))
                return ApiBody.Invalid("fulfilment", "must be 'automatic' or 'approval'");
            await s.SetFulfilmentApprovalAsync(user.OrgId(), input.Fulfilment == "approval", user.Actor(), ct);
        }
        return await GetSettings(user, s, ct);
    }

    private static async Task<Results<Created<PrivacyRequestDto>, ProblemHttpResult>> Register(HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<PrivacyRequestInput>(http);
        if (problem is not null)
            return problem;
        DateTimeOffset? receivedAt = null;
        if (!string.IsNullOrWhiteSpace(input!.ReceivedAt))
        {
            if (DateOnly.TryParseExact(input.ReceivedAt, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                receivedAt = s.StartOfDay(day);
            else if (DateTimeOffset.TryParse(input.ReceivedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                receivedAt = at;
            else
                return ApiBody.Invalid("receivedAt", "must be a date (2025-01-31) or an ISO 8601 date-time (2025-01-31T09:30:00+02:00)");
        }
        var result = await s.RegisterAsync(user.OrgId(),
            new OfficerRequest(input.Type, input.ObjectionScope, input.Email, input.Channel, receivedAt, input.Details, input.Language), user.Actor(), ct);
        return result.IsOk ? TypedResults.Created($"/api/v1/privacy/requests/{result.Value!.Id}", ToDto(result.Value, s)) : Problem(result);
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Extend(long id, HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<ExtendInput>(http);
        if (problem is not null)
            return problem;
        var result = await s.ExtendAsync(user.OrgId(), id, input!.Months, input.Reason, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Fulfil(long id, HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        Correction? correction = null;
        // The body is optional: only a rectification needs one.
        if (http.Request.ContentLength is > 0 || http.Request.ContentType is not null)
        {
            var (input, problem) = await ApiBody.ReadAsync<FulfilInput>(http);
            if (problem is not null)
                return problem;
            if (input!.Name is not null || input.Language is not null || input.Attributes is not null)
                correction = new Correction(input.Name, input.Language, input.Attributes);
        }
        var result = await s.FulfilAsync(user.OrgId(), id, correction, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Complete(long id, HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<CompleteInput>(http);
        if (problem is not null)
            return problem;
        var result = await s.CompleteAsync(user.OrgId(), id, input!.Outcome, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Results<Ok<PrivacyRequestDto>, ProblemHttpResult>> Refuse(long id, HttpContext http, ClaimsPrincipal user, PrivacyRequestService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<RefuseInput>(http);
        if (problem is not null)
            return problem;
        var result = await s.RefuseAsync(user.OrgId(), id, input!.Reason, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }
}
