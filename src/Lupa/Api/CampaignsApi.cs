using System.Security.Claims;
using Lupa.Campaigns;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A campaign as the API shows it, with its progress.</summary>
public sealed record CampaignDto(
    long Id, string Name, long[] ListIds, string Segment, string? SegmentDescription, string FromName, string FromAddress, string? ReplyTo,
    string Subject, string Preheader, string Body, string BodyFormat, string Status, string? StatusReason,
    DateTimeOffset? ScheduledAt, string? TimeZone, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    CampaignProgressDto Progress, CampaignBouncesDto Bounces, CampaignPolicyDto AcceptableUse);

/// <summary>
/// The campaign against the acceptable use policy: <c>level</c> <c>ok</c>, <c>warning</c> or <c>stop</c>,
/// whether the policy stopped it (and suspended the organisation's sending), and each measure.
/// </summary>
public sealed record CampaignPolicyDto(string Level, bool StoppedByPolicy, long Unsubscribes, PolicyFindingDto[] Findings);

/// <summary>What came back: hard and soft bounces (a relay's 5xx answer during the send counts too) and complaints.</summary>
public sealed record CampaignBouncesDto(long Hard, long Soft, long Complaints);

/// <summary>A bounce or complaint about one recipient's message.</summary>
/// <param name="Id">The event.</param>
/// <param name="SubscriberId">The recipient.</param>
/// <param name="Email">Their address (null after erasure).</param>
/// <param name="Kind"><c>hard</c>, <c>soft</c> or <c>complaint</c>.</param>
/// <param name="Status">The enhanced status code of a bounce (<c>5.1.1</c>); the feedback type of a complaint (<c>abuse</c>).</param>
/// <param name="Diagnostic">The receiving server's words, or who reported the complaint.</param>
/// <param name="Source"><c>send</c> (the relay refused during the send), <c>listener</c> or <c>mailbox</c>.</param>
/// <param name="ReceivedAt">When it came.</param>
public sealed record BounceEventDto(long Id, long SubscriberId, string? Email, string Kind, string? Status, string? Diagnostic, string Source, DateTimeOffset ReceivedAt);

/// <summary>A page of bounces and complaints, newest first.</summary>
public sealed record BounceEventPage(BounceEventDto[] Items, string? Next);

/// <summary>Where the send is: sent, failed, skipped (no longer wanted), remaining, messages a second over the last ten seconds, and seconds to go.</summary>
public sealed record CampaignProgressDto(long Total, long Sent, long Failed, long Skipped, long Remaining, double Rate, long? EtaSeconds);

/// <summary>The compliance check's answer.</summary>
public sealed record CampaignCheckDto(bool Ok, ComplianceProblem[] Problems, long Recipients);

/// <summary>A rendered message.</summary>
public sealed record CampaignPreviewDto(string Subject, string Html, string Text);

/// <summary>The body of the preview request.</summary>
public sealed class PreviewInput
{
    /// <summary>Render for this subscriber (id).</summary>
    public long? SubscriberId { get; set; }

    /// <summary>Or for the subscriber with this address.</summary>
    public string? Email { get; set; }
}

/// <summary>The body of the test send.</summary>
public sealed class TestSendInput
{
    /// <summary>Up to ten addresses.</summary>
    public string[]? Addresses { get; set; }

    /// <summary>Render for this subscriber; by default a sample person.</summary>
    public long? SubscriberId { get; set; }
}

/// <summary>The body of the schedule request.</summary>
public sealed class ScheduleInput
{
    /// <summary>Local date and time in <see cref="TimeZone"/>, such as 2026-12-01T09:00; or with an offset when no zone is given.</summary>
    public string? ScheduledAt { get; set; }

    /// <summary>An IANA time zone such as Europe/Helsinki.</summary>
    public string? TimeZone { get; set; }
}

/// <summary>A recipient's state in a campaign.</summary>
public sealed record CampaignRecipientDto(long SubscriberId, string? Email, string State, int Attempts, DateTimeOffset? SentAt, string? LastError);

/// <summary>A page of recipients.</summary>
public sealed record CampaignRecipientPage(CampaignRecipientDto[] Items, string? Next);

/// <summary>/api/v1/campaigns: write, check, preview, test, start, schedule, pause, resume and cancel campaigns.</summary>
public static class CampaignsApi
{
    private static readonly string[] RecipientStates = ["queued", "sent", "failed", "skipped"];

    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/", GetAll).WithSummary("The organisation's campaigns, newest first.");
        g.MapPost("/", Create).WithSummary("Creates a draft campaign.").Accepts<CampaignInput>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One campaign with its progress: sent, failed, remaining, rate and ETA.");
        g.MapPut("/{id:long}", Update).WithSummary("Changes a draft.").Accepts<CampaignInput>("application/json");
        g.MapGet("/{id:long}/check", Check).WithSummary("The compliance check: every problem that blocks the start.");
        g.MapPost("/{id:long}/preview", Preview).WithSummary("Renders the campaign for a subscriber: HTML with CSS inlined, and the plain text.").Accepts<PreviewInput>("application/json");
        g.MapPost("/{id:long}/test", Test).WithSummary("Sends the campaign to up to ten addresses, marked as a test.").Accepts<TestSendInput>("application/json");
        g.MapPost("/{id:long}/start", Start).WithSummary("Checks the campaign, fixes its recipients and starts sending.");
        g.MapPost("/{id:long}/schedule", Schedule).WithSummary("Schedules the start at a time in a time zone.").Accepts<ScheduleInput>("application/json");
        g.MapPost("/{id:long}/unschedule", (long id, ClaimsPrincipal u, ApiServices s, CampaignService c, CancellationToken ct) => Act(id, CampaignStatus.Action.Unschedule, u, s, c, ct)).WithSummary("Takes a scheduled campaign back to draft.");
        g.MapPost("/{id:long}/pause", (long id, ClaimsPrincipal u, ApiServices s, CampaignService c, CancellationToken ct) => Act(id, CampaignStatus.Action.Pause, u, s, c, ct)).WithSummary("Pauses sending; messages in flight finish.");
        g.MapPost("/{id:long}/resume", (long id, ClaimsPrincipal u, ApiServices s, CampaignService c, CancellationToken ct) => Act(id, CampaignStatus.Action.Resume, u, s, c, ct)).WithSummary("Resumes a paused campaign.");
        g.MapPost("/{id:long}/cancel", (long id, ClaimsPrincipal u, ApiServices s, CampaignService c, CancellationToken ct) => Act(id, CampaignStatus.Action.Cancel, u, s, c, ct)).WithSummary("Cancels the campaign; recipients not yet sent to get nothing.");
        g.MapGet("/{id:long}/recipients", Recipients).WithSummary("The campaign's recipients with their state; ?state=queued|sent|failed|skipped.");
        g.MapGet("/{id:long}/bounces", Bounces).WithSummary("The campaign's bounces and complaints, newest first; ?kind=hard|soft|complaint.");
    }

    internal static CampaignDto ToDto(CampaignRow c, CampaignProgress p, Lupa.Domain.AcceptableUse.AcceptableUsePolicy? policy = null)
    {
        var findings = (policy ?? new()).Evaluate(c.Figures());
        var segment = Segment.Parse(c.Segment);
        long? eta = p.RatePerSecond > 0 ? (long)Math.Ceiling(p.Remaining / p.RatePerSecond) : null;
        return new CampaignDto(c.Id, c.Name, c.ListIdArray(), c.Segment, segment.IsOk && !segment.Value!.IsEmpty ? segment.Value.Describe("en") : null,
            c.FromName, c.FromAddress, c.ReplyTo, c.Subject, c.Preheader, c.Body, c.BodyFormat, c.Status, c.StatusReason,
            c.ScheduledAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, c.TimeZone,
            DateTimeOffset.FromUnixTimeMilliseconds(c.CreatedAt),
            c.StartedAt is { } st ? DateTimeOffset.FromUnixTimeMilliseconds(st) : null,
            c.FinishedAt is { } fi ? DateTimeOffset.FromUnixTimeMilliseconds(fi) : null,
            new CampaignProgressDto(p.Total, p.Sent, p.Failed, p.Skipped, p.Remaining, Math.Round(p.RatePerSecond, 1), eta),
            new CampaignBouncesDto(c.HardBounces, c.SoftBounces, c.Complaints),
            new CampaignPolicyDto(PolicyFindingDto.LevelName(c.PolicyStoppedAt is not null ? Lupa.Domain.AcceptableUse.PolicyLevel.Stop : Lupa.Domain.AcceptableUse.AcceptableUsePolicy.Worst(findings)),
                c.PolicyStoppedAt is not null, c.Unsubscribes, findings.Select(PolicyFindingDto.From).ToArray()));
    }

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var store = c.For(user.OrgId());
        var row = await store.GetAsync(id, ct);
        return row is null ? ApiBody.NotFound("campaign") : TypedResults.Ok(ToDto(row, await store.ProgressAsync(row, s.Now(), ct), s.Policy));
    }

    private static async Task<Ok<CampaignDto[]>> GetAll(ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var store = c.For(user.OrgId());
        var result = new List<CampaignDto>();
        foreach (var row in await store.ListAsync(ct))
            result.Add(ToDto(row, await store.ProgressAsync(row, s.Now(), ct), s.Policy));
        return TypedResults.Ok(result.ToArray());
    }

    private static async Task<Results<Created<CampaignDto>, ProblemHttpResult>> Create(HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var (fields, problem) = await ReadFieldsAsync(http, user, c, ct);
        if (fields is null)
            return problem!;
        var store = c.For(user.OrgId());
        var id = await store.CreateAsync(fields, s.Now(), ct);
        return TypedResults.Created($"/api/v1/campaigns/{id}", await DtoAsync(store, id, s));
    }

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Update(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var store = c.For(user.OrgId());
        var existing = await store.GetAsync(id, ct);
        if (existing is null)
            return ApiBody.NotFound("campaign");
        var allowed = CampaignStatus.After(existing.Status, CampaignStatus.Action.Edit);
        if (!allowed.IsOk)
            return ApiBody.Conflict("status", allowed.Reason!);
        var (fields, problem) = await ReadFieldsAsync(http, user, c, ct);
        if (fields is null)
            return problem!;
        if (!await store.UpdateAsync(id, fields, s.Now(), ct))
            return ApiBody.Conflict("status", "The campaign is no longer a draft.");
        return TypedResults.Ok(await DtoAsync(store, id, s));
    }

    private static async Task<(CampaignFields? Fields, ProblemHttpResult? Problem)> ReadFieldsAsync(HttpContext http, ClaimsPrincipal user, CampaignService c, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<CampaignInput>(http);
        if (problem is not null)
            return (null, problem);
        var (fields, problems) = await c.ValidateAsync(user.OrgId(), input!, ct);
        return fields is null ? (null, Invalid(problems)) : (fields, null);
    }

    private static async Task<CampaignDto> DtoAsync(CampaignStore store, long id, ApiServices s)
    {
        var row = (await store.GetAsync(id))!;
        return ToDto(row, await store.ProgressAsync(row, s.Now()), s.Policy);
    }

    private static async Task<Results<Ok<CampaignCheckDto>, ProblemHttpResult>> Check(long id, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var store = c.For(user.OrgId());
        var row = await store.GetAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("campaign");
        var problems = await c.CheckAsync(row, ct);
        var segment = Segment.Parse(row.Segment).Value ?? Segment.Empty;
        var count = await store.CountSelectionAsync(row, segment, s.Now(), ct);
        return TypedResults.Ok(new CampaignCheckDto(problems.Count == 0, problems.ToArray(), count));
    }

    private static async Task<Results<Ok<CampaignPreviewDto>, ProblemHttpResult>> Preview(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var row = await c.For(user.OrgId()).GetAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("campaign");
        var input = new PreviewInput();
        if (http.Request.ContentLength > 0)
        {
            var (read, problem) = await ApiBody.ReadAsync<PreviewInput>(http);
            if (problem is not null)
                return problem;
            input = read!;
        }
        SubscriberRow? subscriber = null;
        if (input.SubscriberId is { } sid)
            subscriber = await s.Store(user).GetSubscriberAsync(sid, ct) ?? (SubscriberRow?)null;
        else if (!string.IsNullOrWhiteSpace(input.Email))
            subscriber = await s.Store(user).FindSubscriberAsync(input.Email.Trim(), ct);
        if ((input.SubscriberId is not null || !string.IsNullOrWhiteSpace(input.Email)) && subscriber is null)
            return ApiBody.NotFound("subscriber");
        var rendered = await c.PreviewAsync(row, subscriber, ct);
        if (!rendered.IsOk)
            return ApiBody.Invalid("body", rendered.Reason!);
        if (subscriber is not null)
            await s.AuditAsync(user, AuditActions.CampaignPreview, "subscriber:" + subscriber.Id, new { campaign = id }, ct);
        return TypedResults.Ok(new CampaignPreviewDto(rendered.Value!.Subject, rendered.Value.Html, rendered.Value.Text));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Test(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var row = await c.For(user.OrgId()).GetAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("campaign");
        var (input, problem) = await ApiBody.ReadAsync<TestSendInput>(http);
        if (problem is not null)
            return problem;
        var addresses = new List<EmailAddress>();
        foreach (var a in input!.Addresses ?? [])
        {
            var parsed = EmailAddress.Parse(a);
            if (!parsed.IsOk)
                return ApiBody.Invalid("addresses", $"'{a}': {parsed.Reason}");
            addresses.Add(parsed.Value!);
        }
        SubscriberRow? subscriber = null;
        if (input.SubscriberId is { } sid && (subscriber = await s.Store(user).GetSubscriberAsync(sid, ct)) is null)
            return ApiBody.NotFound("subscriber");
        var sent = await c.SendTestAsync(row, subscriber, addresses, ct);
        if (sent.IsOk && subscriber is not null)
            await s.AuditAsync(user, AuditActions.CampaignTest, "subscriber:" + subscriber.Id, new { campaign = id, addresses = addresses.Count }, ct);
        return sent.IsOk ? TypedResults.Accepted($"/api/v1/campaigns/{id}") : ApiBody.Invalid(sent.Code!, sent.Reason!);
    }

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Start(long id, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct) =>
        await Answer(id, await c.StartAsync(user.OrgId(), id, ct), user, s, c, ct);

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Schedule(long id, HttpContext http, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<ScheduleInput>(http);
        if (problem is not null)
            return problem;
        return await Answer(id, await c.ScheduleAsync(user.OrgId(), id, input!.ScheduledAt, input.TimeZone, ct), user, s, c, ct);
    }

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Act(long id, CampaignStatus.Action action, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct) =>
        await Answer(id, await c.ActAsync(user.OrgId(), id, action, ct), user, s, c, ct);

    private static async Task<Results<Ok<CampaignDto>, ProblemHttpResult>> Answer(long id, CampaignRefusal? refusal, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        if (refusal is not null)
            return Refused(refusal);
        return TypedResults.Ok(await DtoAsync(c.For(user.OrgId()), id, s));
    }

    private static async Task<Results<Ok<CampaignRecipientPage>, ProblemHttpResult>> Recipients(long id, string? state, string? cursor, int? limit, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var store = c.For(user.OrgId());
        if (await store.GetAsync(id, ct) is null)
            return ApiBody.NotFound("campaign");
        int? stateCode = null;
        if (!string.IsNullOrEmpty(state))
        {
            var i = Array.IndexOf(RecipientStates, state);
            if (i < 0)
                return ApiBody.Invalid("state", "must be queued, sent, failed or skipped");
            stateCode = i;
        }
        if (!ApiBody.TryReadCursor(cursor, out var after))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave");
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var rows = await store.ListRecipientsAsync(id, stateCode, after, take, ct);
        var items = rows.Select(r => new CampaignRecipientDto(r.SubscriberId, r.Email, RecipientStates[Math.Clamp(r.State, 0, 3)], r.Attempts,
            r.SentAt is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : null, r.LastError)).ToArray();
        await s.AuditListedAsync(user, AuditActions.CampaignRecipients, "campaign:" + id, items.Select(i => i.SubscriberId).ToList(), new { state }, ct);
        return TypedResults.Ok(new CampaignRecipientPage(items, rows.Count == take ? ApiBody.Cursor(rows[^1].SubscriberId) : null));
    }

    private static async Task<Results<Ok<BounceEventPage>, ProblemHttpResult>> Bounces(long id, string? kind, string? cursor, int? limit, ClaimsPrincipal user, ApiServices s, CampaignService c, CancellationToken ct)
    {
        var orgId = user.OrgId();
        if (await c.For(orgId).GetAsync(id, ct) is null)
            return ApiBody.NotFound("campaign");
        if (!string.IsNullOrEmpty(kind) && !Lupa.Domain.Bounces.BounceKinds.IsKnown(kind))
            return ApiBody.Invalid("kind", "must be hard, soft or complaint");
        if (!ApiBody.TryReadCursor(cursor, out var before))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave");
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var rows = await s.Bounces(user).ListAsync(id, string.IsNullOrEmpty(kind) ? null : kind, before == 0 ? long.MaxValue : before, take, ct);
        var items = rows.Select(r => new BounceEventDto(r.Id, r.SubscriberId, r.Email, r.Kind, r.Status, r.Diagnostic, r.Source,
            DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt))).ToArray();
        await s.AuditListedAsync(user, AuditActions.BounceList, "campaign:" + id, items.Select(i => i.SubscriberId).Distinct().ToList(), new { kind }, ct);
        return TypedResults.Ok(new BounceEventPage(items, rows.Count == take ? ApiBody.Cursor(rows[^1].Id) : null));
    }

    /// <summary>A refusal as problem+json; compliance problems are listed under <c>problems</c>.</summary>
    internal static ProblemHttpResult Refused(CampaignRefusal r)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = r.Code };
        if (r.Problems is not null)
            extensions["problems"] = r.Problems;
        return TypedResults.Problem(statusCode: r.Status, title: r.Code == CampaignService.SuspendedCode ? "Sending suspended" : r.Status switch { 404 => "Not found", 409 => "Conflict", _ => "Refused" }, detail: r.Message, extensions: extensions);
    }

    /// <summary>A 422 naming every field with a problem.</summary>
    internal static ProblemHttpResult Invalid(IReadOnlyList<FieldProblem> problems) =>
        TypedResults.Problem(statusCode: 422, title: "Invalid value", detail: string.Join(" ", problems.Select(p => $"{p.Field}: {p.Message}")),
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
            });
}
