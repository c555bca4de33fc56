using System.Security.Claims;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A personal data breach in the register (Article 33(5)).</summary>
/// <param name="Id">The breach's id.</param>
/// <param name="Title">A short name.</param>
/// <param name="DiscoveredAt">When the organisation became aware of it: the 72 hours run from here.</param>
/// <param name="OccurredAt">When it began, if known.</param>
/// <param name="Nature">What happened, and to which data.</param>
/// <param name="SubjectCategories">Categories of people concerned.</param>
/// <param name="SubjectsApprox">Approximate number of people concerned (null: not known yet).</param>
/// <param name="RecordCategories">Categories of personal data records concerned.</param>
/// <param name="RecordsApprox">Approximate number of records concerned (null: not known yet).</param>
/// <param name="Consequences">Likely consequences.</param>
/// <param name="Measures">Measures taken or proposed, including to mitigate its effects.</param>
/// <param name="DpoContact">The data protection officer or other contact point.</param>
/// <param name="Authority">The 72-hour clock to the supervisory authority and where the notification stands.</param>
/// <param name="CreatedBy">Who registered it.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record BreachDto(
    long Id, string Title, DateTimeOffset DiscoveredAt, DateTimeOffset? OccurredAt, string Nature, string SubjectCategories, long? SubjectsApprox,
    string RecordCategories, long? RecordsApprox, string Consequences, string Measures, string DpoContact, BreachAuthorityDto Authority,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The notification to the supervisory authority (Article 33).</summary>
/// <param name="Status">pending, notified or not_required.</param>
/// <param name="DueAt">72 hours after discovery.</param>
/// <param name="Clock">running, due_soon (12 hours or less left), overdue, notified, notified_late or not_required.</param>
/// <param name="HoursLeft">Hours to the deadline (one decimal; negative when past it).</param>
/// <param name="NotifiedAt">When the authority was notified.</param>
/// <param name="Reference">The authority's case reference.</param>
/// <param name="Reason">Why notification is not required, or the reasons for a late notification.</param>
public sealed record BreachAuthorityDto(string Status, DateTimeOffset DueAt, string Clock, double HoursLeft, DateTimeOffset? NotifiedAt, string? Reference, string? Reason);

/// <summary>A notice to the affected people (Article 34) and its progress.</summary>
/// <param name="Id">The notice's id.</param>
/// <param name="BreachId">The breach.</param>
/// <param name="Audience">all, lists, segment or addresses.</param>
/// <param name="AudienceDetail">The lists and segment chosen, or how many addresses were uploaded.</param>
/// <param name="Language">The language of uploaded addresses Lupa does not hold (fi or en); held people get theirs.</param>
/// <param name="Status">preparing (mails being queued), sending or done.</param>
/// <param name="Total">People chosen.</param>
/// <param name="Recipients">People it still goes to (fewer than total when some were erased since).</param>
/// <param name="Prepared">Mails queued.</param>
/// <param name="Sent">Mails the relay took.</param>
/// <param name="Failed">Mails given up.</param>
/// <param name="Waiting">Mails not yet taken nor given up.</param>
/// <param name="SkippedErased">Uploaded addresses left out because the person was erased.</param>
/// <param name="Percent">Sent and failed of the recipients, 0-100.</param>
/// <param name="MessageFi">The notice's text in Finnish.</param>
/// <param name="MessageEn">The notice's text in English.</param>
/// <param name="CreatedBy">Who sent it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="QueuedAt">When every mail was in the outbox.</param>
public sealed record BreachNoticeDto(
    long Id, long BreachId, string Audience, JsonElement AudienceDetail, string Language, string Status, long Total, long Recipients, long Prepared,
    long Sent, long Failed, long Waiting, long SkippedErased, double Percent, string MessageFi, string MessageEn, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? QueuedAt);

/// <summary>One person a notice goes to, with its delivery.</summary>
/// <param name="Id">The row's id (the cursor).</param>
/// <param name="SubscriberId">The subscriber, when Lupa holds the person.</param>
/// <param name="Email">The address.</param>
/// <param name="Name">The name Lupa holds.</param>
/// <param name="Language">The notice's language for them.</param>
/// <param name="State">waiting, sent or failed.</param>
/// <param name="Attempts">Tries so far.</param>
/// <param name="SentAt">When the relay took it.</param>
/// <param name="FailedAt">When it was given up.</param>
/// <param name="LastError">The relay's words for the last failure.</param>
public sealed record BreachNoticeRecipientDto(
    long Id, long? SubscriberId, string Email, string Name, string Language, string State, int Attempts, DateTimeOffset? SentAt, DateTimeOffset? FailedAt, string? LastError);

/// <summary>A page of a notice's people; pass <c>next</c> as <c>cursor</c> for the following page.</summary>
public sealed record BreachNoticeRecipientPage(BreachNoticeRecipientDto[] Items, string? Next);

/// <summary>The body of POST /api/v1/privacy/breaches and PATCH /api/v1/privacy/breaches/{id} (fields left out stay).</summary>
public sealed class BreachBody
{
    /// <summary>A short name.</summary>
    public string? Title { get; set; }

    /// <summary>When the organisation became aware of it (ISO 8601; without an offset in Lupa:Privacy:TimeZone); default now.</summary>
    public string? DiscoveredAt { get; set; }

    /// <summary>When it began, if known ("" clears it).</summary>
    public string? OccurredAt { get; set; }

    /// <summary>What happened, and to which data.</summary>
    public string? Nature { get; set; }

    /// <summary>Categories of people concerned.</summary>
    public string? SubjectCategories { get; set; }

    /// <summary>Approximate number of people concerned.</summary>
    public long? SubjectsApprox { get; set; }

    /// <summary>Categories of personal data records concerned.</summary>
    public string? RecordCategories { get; set; }

    /// <summary>Approximate number of records concerned.</summary>
    public long? RecordsApprox { get; set; }

    /// <summary>Likely consequences.</summary>
    public string? Consequences { get; set; }

    /// <summary>Measures taken or proposed.</summary>
    public string? Measures { get; set; }

    /// <summary>The data protection officer or other contact point (default: the privacy notice's).</summary>
    public string? DpoContact { get; set; }

    internal BreachInput Input() => new(Title, DiscoveredAt, OccurredAt, Nature, SubjectCategories, SubjectsApprox, RecordCategories, RecordsApprox, Consequences, Measures, DpoContact);
}

/// <summary>The body of POST /api/v1/privacy/breaches/{id}/authority.</summary>
public sealed class AuthorityBody
{
    /// <summary>notified, not_required or pending.</summary>
    public string? Status { get; set; }

    /// <summary>For notified: when (default now).</summary>
    public string? NotifiedAt { get; set; }

    /// <summary>For notified: the authority's case reference.</summary>
    public string? Reference { get; set; }

    /// <summary>For not_required: why; for a notification after 72 hours: the reasons for the delay.</summary>
    public string? Reason { get; set; }
}

/// <summary>The body of POST /api/v1/privacy/breaches/{id}/notices (or the same fields as multipart/form-data with the addresses as a file part).</summary>
public sealed class NoticeBody
{
    /// <summary>all, lists, segment or addresses.</summary>
    public string? Audience { get; set; }

    /// <summary>For lists (required) and segment (optional): list ids.</summary>
    public long[]? ListIds { get; set; }

    /// <summary>For segment: the segment as JSON text, as campaigns take it.</summary>
    public string? Segment { get; set; }

    /// <summary>For addresses: "address" or "address,fi|en" each.</summary>
    public string[]? Addresses { get; set; }

    /// <summary>The language of uploaded addresses Lupa does not hold: fi (default) or en.</summary>
    public string? Language { get; set; }

    /// <summary>The notice in Finnish: what happened, the likely consequences, what was done and what the person can do.</summary>
    public string? MessageFi { get; set; }

    /// <summary>The same in English.</summary>
    public string? MessageEn { get; set; }
}

/// <summary>
/// /api/v1/privacy/breaches: the breach register with the 72-hour clock to the authority (Article 33) and notices to
/// the affected people (Article 34), sent as transactional mail under a legal obligation.
/// </summary>
public static class BreachesApi
{
    /// <summary>Largest multipart upload of addresses.</summary>
    public const long MaxUploadBytes = 64L * 1024 * 1024;

    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/privacy/breaches").WithTags("Breaches");
        g.MapGet("/", List).WithSummary("The register: breaches waiting for the authority first, soonest due first; ?limit= (1-500, default 100).");
        g.MapPost("/", Register).WithSummary("Registers a breach; the 72-hour clock runs from discoveredAt.").Accepts<BreachBody>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One breach with its clock.");
        g.MapPatch("/{id:long}", Change).WithSummary("Changes the facts of a breach; fields left out stay.").Accepts<BreachBody>("application/json");
        g.MapPost("/{id:long}/authority", Authority).WithSummary("Records the notification to the authority (or that none is required).").Accepts<AuthorityBody>("application/json");
        g.MapGet("/{id:long}/authority-text", AuthorityText).WithSummary("The text for the authority's notification form, as text/plain; ?language=fi|en (default en).");
        g.MapPost("/{id:long}/notices", Notify).WithSummary("Sends the Article 34 notice to the people chosen; answers the notice job to follow.")
            .Accepts<NoticeBody>("application/json", "multipart/form-data");
        g.MapGet("/{id:long}/notices", Notices).WithSummary("The breach's notices with their progress, newest first.");
        g.MapGet("/{id:long}/notices/{noticeId:long}", Notice).WithSummary("One notice job with its progress.");
        g.MapGet("/{id:long}/notices/{noticeId:long}/recipients", NoticeRecipients)
            .WithSummary("Each person of a notice with the delivery of their mail; ?state=waiting|sent|failed, ?cursor=, ?limit= (1-1000, default 100).");
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? Time(v) : null;

    internal static BreachDto ToDto(BreachRow b, BreachService s) =>
        new(b.Id, b.Title, Time(b.DiscoveredAt), Time(b.OccurredAt), b.Nature, b.SubjectCategories, b.SubjectsApprox, b.RecordCategories, b.RecordsApprox,
            b.Consequences, b.Measures, b.DpoContact,
            new BreachAuthorityDto(b.AuthorityStatus, BreachClock.DueAt(Time(b.DiscoveredAt)), BreachClock.Name(s.State(b)), Math.Round(s.Left(b).TotalHours, 1),
                Time(b.AuthorityNotifiedAt), b.AuthorityReference, b.AuthorityReason),
            b.CreatedBy, Time(b.CreatedAt), Time(b.UpdatedAt));

    internal static BreachNoticeDto ToDto(BreachNoticeRow n) =>
        new(n.Id, n.BreachId, n.Audience, JsonDocument.Parse(n.AudienceDetail).RootElement.Clone(), n.DefaultLanguage, BreachNoticeJob.Status(n), n.Total,
            n.Recipients, n.Prepared, n.Sent, n.Failed, Math.Max(0, n.Recipients - n.Sent - n.Failed), n.SkippedErased,
            n.Recipients == 0 ? 100 : Math.Round(100.0 * (n.Sent + n.Failed) / n.Recipients, 1), n.MessageFi, n.MessageEn, n.CreatedBy, Time(n.CreatedAt), Time(n.QueuedAt));

    private static ProblemHttpResult Problem<T>(Outcome<T> o) =>
        o.Code == "not_found" ? ApiBody.NotFound("breach") : ApiBody.Invalid(o.Code!, o.Reason!);

    private static async Task<Results<Ok<BreachDto[]>, ProblemHttpResult>> List(int? limit, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 500)
            return ApiBody.Invalid("limit", "must be from 1 to 500");
        return TypedResults.Ok((await s.For(user.OrgId()).ListAsync(take, ct)).Select(b => ToDto(b, s)).ToArray());
    }

    private static async Task<Results<Created<BreachDto>, ProblemHttpResult>> Register(HttpContext http, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<BreachBody>(http);
        if (problem is not null)
            return problem;
        var result = await s.RegisterAsync(user.OrgId(), input!.Input(), user.Actor(), ct);
        return result.IsOk ? TypedResults.Created($"/api/v1/privacy/breaches/{result.Value!.Id}", ToDto(result.Value, s)) : Problem(result);
    }

    private static async Task<Results<Ok<BreachDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, BreachService s, CancellationToken ct) =>
        await s.For(user.OrgId()).GetAsync(id, ct) is { } b ? TypedResults.Ok(ToDto(b, s)) : ApiBody.NotFound("breach");

    private static async Task<Results<Ok<BreachDto>, ProblemHttpResult>> Change(long id, HttpContext http, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<BreachBody>(http);
        if (problem is not null)
            return problem;
        var result = await s.UpdateAsync(user.OrgId(), id, input!.Input(), user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Results<Ok<BreachDto>, ProblemHttpResult>> Authority(long id, HttpContext http, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<AuthorityBody>(http);
        if (problem is not null)
            return problem;
        var result = await s.SetAuthorityAsync(user.OrgId(), id, new AuthorityInput(input!.Status, input.NotifiedAt, input.Reference, input.Reason), user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(ToDto(result.Value!, s)) : Problem(result);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> AuthorityText(long id, string? language, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        if (language is not null && !Languages.IsSupported(language))
            return ApiBody.Invalid("language", "must be fi or en");
        if (await s.For(user.OrgId()).GetAsync(id, ct) is not { } b)
            return ApiBody.NotFound("breach");
        return TypedResults.Text(await s.AuthorityTextAsync(user.OrgId(), b, language ?? Languages.English, ct), "text/plain; charset=utf-8");
    }

    private static async Task<Results<Accepted<BreachNoticeDto>, ProblemHttpResult>> Notify(long id, HttpContext http, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        NoticeInput input;
        if (http.Request.HasFormContentType)
        {
            var (form, problem) = await ReadFormAsync(http, ct);
            if (problem is not null)
                return problem;
            input = form!;
        }
        else
        {
            var (body, problem) = await ApiBody.ReadAsync<NoticeBody>(http);
            if (problem is not null)
                return problem;
            input = new NoticeInput(body!.Audience, body.ListIds, body.Segment, body.Addresses, body.Language, body.MessageFi, body.MessageEn);
        }
        var result = await s.NotifyAsync(user.OrgId(), id, input, user.Actor(), ct);
        return result.IsOk
            ? TypedResults.Accepted($"/api/v1/privacy/breaches/{id}/notices/{result.Value!.Id}", ToDto(result.Value))
            : Problem(result);
    }

    // A large list of addresses comes as a file: the fields as form values, the list as the part "addresses" (one a line).
    private static async Task<(NoticeInput? Input, ProblemHttpResult? Problem)> ReadFormAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > MaxUploadBytes)
            return (null, TypedResults.Problem(statusCode: 413, title: "Body too large", detail: $"The upload must be at most {MaxUploadBytes / 1024 / 1024} MB."));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = MaxUploadBytes;
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = MaxUploadBytes }, ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return (null, TypedResults.Problem(statusCode: 400, title: "Invalid form body", detail: e.Message));
        }
        var lines = new List<string>();
        if (form.Files.GetFile("addresses") is { } file)
        {
            using var reader = new StreamReader(file.OpenReadStream(), detectEncodingFromByteOrderMarks: true);
            while (await reader.ReadLineAsync(ct) is { } line)
                lines.Add(line);
        }
        else
            lines.AddRange(form["addresses"].SelectMany(v => (v ?? "").Split('\n')));
        var listIds = new List<long>();
        foreach (var v in form["listIds"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!long.TryParse(v, out var listId))
                return (null, ApiBody.Invalid("listIds", $"'{v}' is not a list id"));
            listIds.Add(listId);
        }
        string? Field(string name) => form[name].FirstOrDefault();
        return (new NoticeInput(Field("audience") ?? BreachAudiences.Addresses, [.. listIds], Field("segment"), lines, Field("language"), Field("messageFi"), Field("messageEn")), null);
    }

    private static async Task<Results<Ok<BreachNoticeDto[]>, ProblemHttpResult>> Notices(long id, ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var store = s.For(user.OrgId());
        if (await store.GetAsync(id, ct) is null)
            return ApiBody.NotFound("breach");
        return TypedResults.Ok((await store.ListNoticesAsync(id, ct)).Select(ToDto).ToArray());
    }

    private static async Task<Results<Ok<BreachNoticeDto>, ProblemHttpResult>> Notice(long id, long noticeId, ClaimsPrincipal user, BreachService s, CancellationToken ct) =>
        await s.For(user.OrgId()).GetNoticeAsync(id, noticeId, ct) is { } n ? TypedResults.Ok(ToDto(n)) : ApiBody.NotFound("notice");

    private static async Task<Results<Ok<BreachNoticeRecipientPage>, ProblemHttpResult>> NoticeRecipients(long id, long noticeId, string? state, string? cursor, int? limit,
        ClaimsPrincipal user, BreachService s, CancellationToken ct)
    {
        var store = s.For(user.OrgId());
        if (await store.GetNoticeAsync(id, noticeId, ct) is null)
            return ApiBody.NotFound("notice");
        if (!string.IsNullOrEmpty(state) && !BreachNoticeStates.All.Contains(state))
            return ApiBody.Invalid("state", "must be one of " + string.Join(", ", BreachNoticeStates.All));
        if (!ApiBody.TryReadCursor(cursor, out var after))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave");
        var take = limit ?? 100;
        if (take is < 1 or > 1000)
            return ApiBody.Invalid("limit", "must be from 1 to 1000");
        var rows = await store.ListNoticeRecipientsAsync(noticeId, string.IsNullOrEmpty(state) ? null : state, after, take, ct);
        var items = rows.Select(r => new BreachNoticeRecipientDto(r.Id, r.SubscriberId, r.Email, r.Name, r.Language, r.State, r.Attempts, Time(r.SentAt), Time(r.FailedAt), r.LastError)).ToArray();
        return TypedResults.Ok(new BreachNoticeRecipientPage(items, rows.Count == take ? ApiBody.Cursor(rows[^1].Id) : null));
    }
}
