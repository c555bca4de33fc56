using System.Security.Claims;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A subscriber with their subscriptions.</summary>
/// <param name="Id">The subscriber's id.</param>
/// <param name="Email">The address, normalised.</param>
/// <param name="Name">The name.</param>
/// <param name="Language">fi or en.</param>
/// <param name="CreatedAt">When Lupa first stored the person.</param>
/// <param name="Subscriptions">The person's subscriptions.</param>
/// <param name="RestrictedAt">Since when processing is restricted (Article 18): left out of every send, segment, export and import update.</param>
/// <param name="SuppressedAt">Since when the address is suppressed for every list (objection, hard bounce, complaint).</param>
/// <param name="ObjectedProfilingAt">Since when the person objects to profiling: no individual tracking or scoring.</param>
public sealed record SubscriberDto(long Id, string Email, string Name, string Language, DateTimeOffset CreatedAt, SubscriptionDto[] Subscriptions,
    DateTimeOffset? RestrictedAt = null, DateTimeOffset? SuppressedAt = null, DateTimeOffset? ObjectedProfilingAt = null);

/// <summary>One subscription.</summary>
public sealed record SubscriptionDto(long ListId, string ListSlug, string Status, DateTimeOffset CreatedAt, DateTimeOffset? ConfirmedAt, DateTimeOffset? UnsubscribedAt);

/// <summary>A page of subscribers.</summary>
public sealed record SubscriberPage(SubscriberDto[] Items, string? NextCursor);

/// <summary>One consent record: a grant or a withdrawal, with its proof.</summary>
public sealed record ConsentRecordDto(
    long Id, long ListId, string ListSlug, string Kind, string Method, DateTimeOffset OccurredAt, string? Ip, string? UserAgent, string? Source,
    int? WordingVersion, string? WordingText, string? WordingHash, int? PrivacyNoticeVersion,
    DateTimeOffset? FormSubmittedAt, string? FormIp, string? FormUserAgent, string? Actor, string? EvidenceMethod, string? LegalBasis, long? ImportId,
    DateTimeOffset RecordedAt);

/// <summary>Evidence of a consent given earlier, elsewhere.</summary>
public sealed class ConsentEvidenceInput
{
    /// <summary>When consent was given (ISO 8601).</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>form, double_opt_in, paper, phone, event or api.</summary>
    public string? Method { get; set; }

    /// <summary>The URL or a description of where consent was given.</summary>
    public string? Source { get; set; }

    /// <summary>The IP address the consent came from, if known.</summary>
    public string? Ip { get; set; }

    /// <summary>The wording the person agreed to, if it differs from the list's current wording.</summary>
    public string? Text { get; set; }
}

/// <summary>The body of POST /api/v1/subscribers.</summary>
public sealed class SubscriberInput
{
    /// <summary>The address.</summary>
    public string? Email { get; set; }

    /// <summary>The person's name.</summary>
    public string? Name { get; set; }

    /// <summary>Slugs of the lists to subscribe to.</summary>
    public string[]? Lists { get; set; }

    /// <summary>Ids of the lists to subscribe to.</summary>
    public long[]? ListIds { get; set; }

    /// <summary>Evidence of consent; without it the subscriber is pending and gets a confirmation mail.</summary>
    public ConsentEvidenceInput? Consent { get; set; }
}

/// <summary>The body of PATCH /api/v1/subscribers/{id}.</summary>
public sealed class SubscriberChange
{
    /// <summary>New name.</summary>
    public string? Name { get; set; }

    /// <summary>New language, fi or en.</summary>
    public string? Language { get; set; }
}

/// <summary>/api/v1/subscribers: find, add and change subscribers; read their consent history.</summary>
public static class SubscribersApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/subscribers").WithTags("Subscribers");
        g.MapGet("/", Find).WithSummary("Finds a subscriber by address (?email=), or pages through them (?search=, ?cursor=, ?limit=).");
        g.MapPost("/", Add).WithSummary("Adds a subscriber: confirmed with consent evidence, otherwise pending with a confirmation mail.").Accepts<SubscriberInput>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One subscriber with their subscriptions.");
        g.MapPatch("/{id:long}", Change).WithSummary("Rectifies a subscriber's name or language.").Accepts<SubscriberChange>("application/json");
        g.MapGet("/{id:long}/consents", Consents).WithSummary("The subscriber's full consent history, oldest first.");
        g.MapPost("/{id:long}/restrict", Restrict).WithSummary("Restricts processing (GDPR Article 18): kept, but left out of every send, segment, export and import update.");
        g.MapPost("/{id:long}/unrestrict", Unrestrict).WithSummary("Lifts the restriction; the person is told by mail (Article 18(3)).");
        g.MapDelete("/{id:long}/lists/{listId:long}", Unsubscribe).WithSummary("Unsubscribes the subscriber from a list and records the withdrawal.");
    }

    private static async Task<SubscriberDto> ToDtoAsync(OrganisationStore store, SubscriberRow s, CancellationToken ct)
    {
        var subs = await store.ListSubscriptionsAsync(s.Id, ct);
        return new SubscriberDto(s.Id, s.Email, s.Name, s.Language, Time(s.CreatedAt),
            subs.Select(x => new SubscriptionDto(x.ListId, x.ListSlug, x.Status, Time(x.CreatedAt), Time(x.ConfirmedAt), Time(x.UnsubscribedAt))).ToArray(),
            Time(s.RestrictedAt), Time(s.SuppressedAt), Time(s.ObjectedProfilingAt));
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);

    private static async Task<Results<Ok<SubscriberPage>, ProblemHttpResult>> Find(
        string? email, string? search, string? cursor, int? limit, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        if (email is not null)
        {
            var parsed = EmailAddress.Parse(email);
            if (!parsed.IsOk)
                return ApiBody.Invalid("email", parsed.Reason!);
            var one = await store.FindSubscriberAsync(parsed.Value!.Value, ct);
            if (one is not null)
                await s.AuditAsync(user, AuditActions.SubscriberView, "subscriber:" + one.Id, new { lookup = "email" }, ct);
            return TypedResults.Ok(new SubscriberPage(one is null ? [] : [await ToDtoAsync(store, one, ct)], null));
        }
        if (!ApiBody.TryReadCursor(cursor, out var after))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave out");
        var take = limit ?? 50;
        if (take is < 1 or > 500)
            return ApiBody.Invalid("limit", "must be from 1 to 500");
        if (search is { Length: > 254 })
            return ApiBody.Invalid("search", "must be at most 254 characters");
        var rows = await store.ListSubscribersAsync(search, after, take + 1, ct);
        var items = new List<SubscriberDto>();
        foreach (var r in rows.Take(take))
            items.Add(await ToDtoAsync(store, r, ct));
        await s.AuditListedAsync(user, AuditActions.SubscriberList, "subscribers", items.Select(i => i.Id).ToList(), new { search = search is not null }, ct);
        return TypedResults.Ok(new SubscriberPage([.. items], rows.Count > take ? ApiBody.Cursor(rows[take - 1].Id) : null));
    }

    private static async Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        var row = await store.GetSubscriberAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("subscriber");
        await s.AuditAsync(user, AuditActions.SubscriberView, "subscriber:" + id, null, ct);
        return TypedResults.Ok(await ToDtoAsync(store, row, ct));
    }

    private static async Task<Results<Ok<ConsentRecordDto[]>, ProblemHttpResult>> Consents(long id, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        if (await store.GetSubscriberAsync(id, ct) is null)
            return ApiBody.NotFound("subscriber");
        var rows = await store.ListConsentRecordsAsync(id, ct);
        await s.AuditAsync(user, AuditActions.SubscriberConsents, "subscriber:" + id, new { records = rows.Count }, ct);
        return TypedResults.Ok(rows.Select(r => new ConsentRecordDto(
            r.Id, r.ListId, r.ListSlug, r.Kind, r.Method, Time(r.OccurredAt), r.Ip, r.UserAgent, r.Source, r.WordingVersion, r.WordingText, r.WordingHash,
            r.PrivacyNoticeVersion, Time(r.FormSubmittedAt), r.FormIp, r.FormUserAgent, r.Actor, r.EvidenceMethod, r.LegalBasis, r.ImportId, Time(r.RecordedAt))).ToArray());
    }

    private static async Task<Results<Created<SubscriberDto>, Ok<SubscriberDto>, ProblemHttpResult>> Add(HttpContext http, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<SubscriberInput>(http);
        if (problem is not null)
            return problem;
        var email = EmailAddress.Parse(input!.Email);
        if (!email.IsOk)
            return ApiBody.Invalid("email", email.Reason!);
        var name = (input.Name ?? "").Trim();
        if (TextRules.NameProblem(name) is { } np)
            return ApiBody.Invalid("name", np);
        var store = s.Store(user);
        var lists = new List<ListRow>();
        foreach (var slug in input.Lists ?? [])
        {
            var l = slug is null ? null : await store.FindListAsync(slug, ct);
            if (l is null)
                return ApiBody.Invalid("lists", $"no list '{slug}' in this organisation");
            lists.Add(l);
        }
        foreach (var listId in input.ListIds ?? [])
        {
            var l = await store.GetListAsync(listId, ct);
            if (l is null)
                return ApiBody.Invalid("listIds", $"no list {listId} in this organisation");
            lists.Add(l);
        }
        if (lists.Count == 0)
            return ApiBody.Invalid("lists", "name at least one list (lists: slugs, or listIds)");
        ConsentEvidence? evidence = null;
        if (input.Consent is { } c)
        {
            if (ConsentEvidence.Problem(c.Timestamp, c.Method, c.Source, c.Ip, s.Now() is var now ? DateTimeOffset.FromUnixTimeMilliseconds(now) : default) is { } ep)
                return ApiBody.Invalid("consent." + ep.Field, ep.Reason);
            if (c.Text is { Length: > ConsentWording.MaxLength })
                return ApiBody.Invalid("consent.text", $"must be at most {ConsentWording.MaxLength} characters");
            evidence = new ConsentEvidence(c.Timestamp!.Value, c.Method!, c.Source!.Trim(), string.IsNullOrEmpty(c.Ip) ? null : c.Ip, c.Text);
        }
        var org = await s.OrganisationAsync(user, ct);
        var existed = await store.FindSubscriberAsync(email.Value!.Value, ct) is not null;
        long subscriberId = 0;
        foreach (var list in lists.DistinctBy(l => l.Id))
        {
            var result = await s.Subscriptions.AddAsync(org, list, email.Value, name, evidence, user.Actor(), ct);
            if (result.Status.StartsWith("suppressed:", StringComparison.Ordinal))
                return ApiBody.Conflict("email", $"the address is on the suppression list ({result.Status["suppressed:".Length..]}) for list '{list.Slug}'; only the person can subscribe again, through the form");
            subscriberId = result.SubscriberId;
        }
        await s.AuditAsync(user, AuditActions.SubscriberAdd, "subscriber:" + subscriberId,
            new { lists = lists.Select(l => l.Id).Distinct().ToArray(), evidence = evidence is not null, created = !existed }, ct);
        var dto = await ToDtoAsync(store, (await store.GetSubscriberAsync(subscriberId, ct))!, ct);
        return existed ? TypedResults.Ok(dto) : TypedResults.Created($"/api/v1/subscribers/{subscriberId}", dto);
    }

    private static async Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> Change(long id, HttpContext http, ClaimsPrincipal user, ApiServices s,
        Lupa.Privacy.PrivacyRequestService privacy, CancellationToken ct)
    {
        var store = s.Store(user);
        var row = await store.GetSubscriberAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("subscriber");
        var (input, problem) = await ApiBody.ReadAsync<SubscriberChange>(http);
        if (problem is not null)
            return problem;
        var name = (input!.Name ?? row.Name).Trim();
        if (TextRules.NameProblem(name) is { } np)
            return ApiBody.Invalid("name", np);
        var language = input.Language ?? row.Language;
        if (!Languages.IsSupported(language))
            return ApiBody.Invalid("language", "must be 'fi' or 'en'");
        await privacy.RectifySubscriberAsync(user.OrgId(), row, name, language, user.Actor(), ct);
        return TypedResults.Ok(await ToDtoAsync(store, (await store.GetSubscriberAsync(id, ct))!, ct));
    }

    private static async Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> Unsubscribe(long id, long listId, ClaimsPrincipal user, ApiServices s, CancellationToken ct)
    {
        var store = s.Store(user);
        var row = await store.GetSubscriberAsync(id, ct);
        if (row is null)
            return ApiBody.NotFound("subscriber");
        var sub = (await store.ListSubscriptionsAsync(id, ct)).FirstOrDefault(x => x.ListId == listId);
        if (sub is null)
            return ApiBody.NotFound("subscription to that list");
        if (await store.UnsubscribeAsync(sub.Id, ConsentMethods.Api, null, null, user.Actor(), s.Now(), ct))
            await s.AuditAsync(user, AuditActions.SubscriberUnsubscribe, "subscriber:" + id, new { list = listId }, ct);
        return TypedResults.Ok(await ToDtoAsync(store, row, ct));
    }

    private static Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> Restrict(long id, ClaimsPrincipal user, ApiServices s, Lupa.Privacy.PrivacyRequestService privacy, CancellationToken ct) =>
        SetRestrictionAsync(id, true, user, s, privacy, ct);

    private static Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> Unrestrict(long id, ClaimsPrincipal user, ApiServices s, Lupa.Privacy.PrivacyRequestService privacy, CancellationToken ct) =>
        SetRestrictionAsync(id, false, user, s, privacy, ct);

    private static async Task<Results<Ok<SubscriberDto>, ProblemHttpResult>> SetRestrictionAsync(
        long id, bool restricted, ClaimsPrincipal user, ApiServices s, Lupa.Privacy.PrivacyRequestService privacy, CancellationToken ct)
    {
        var result = await privacy.SetRestrictionAsync(user.OrgId(), id, restricted, user.Actor(), ct);
        if (!result.IsOk)
            return result.Code == "not_found" ? ApiBody.NotFound("subscriber") : ApiBody.Conflict("status", result.Reason!);
        return TypedResults.Ok(await ToDtoAsync(s.Store(user), result.Value!, ct));
    }
}
