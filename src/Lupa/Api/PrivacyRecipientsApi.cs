using System.Security.Claims;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lupa.Api;

/// <summary>A registered recipient of personal data (Article 19).</summary>
/// <param name="Id">The recipient's id.</param>
/// <param name="Name">Who it is, as the access report names it.</param>
/// <param name="Kind">processor or integration.</param>
/// <param name="Url">Where the webhooks go.</param>
/// <param name="Description">What it does with the data (shown in the access report).</param>
/// <param name="SecretHint">The first characters of the signing secret, to tell which one the receiver holds.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it.</param>
/// <param name="SecretRotatedAt">When it last got a new secret.</param>
/// <param name="RemovedAt">When it was removed; nothing is sent to it after that.</param>
/// <param name="Deliveries">Its deliveries by status.</param>
public sealed record PrivacyRecipientDto(
    long Id, string Name, string Kind, string Url, string Description, string SecretHint, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? SecretRotatedAt, DateTimeOffset? RemovedAt, DeliveryCountsDto Deliveries);

/// <summary>Deliveries of a recipient by status.</summary>
public sealed record DeliveryCountsDto(long Pending, long Delivered, long Failed);

/// <summary>A recipient with its signing secret: answered once, when registered or given a new secret.</summary>
/// <param name="Recipient">The recipient.</param>
/// <param name="Secret">The signing secret; Lupa shows it only now. Every webhook carries Lupa-Signature: t=…,v1=HMAC-SHA256(secret, t + "." + body).</param>
public sealed record PrivacyRecipientSecretDto(PrivacyRecipientDto Recipient, string Secret);

/// <summary>One event for one recipient, with its attempts.</summary>
/// <param name="Id">The delivery's id.</param>
/// <param name="RecipientId">The recipient.</param>
/// <param name="EventId">The event's id, sent as Lupa-Webhook-Id: the same on every retry.</param>
/// <param name="EventType">subject.rectified, subject.erased, subject.restricted, subject.restriction_lifted or recipient.test.</param>
/// <param name="Status">pending (queued or waiting for a retry), delivered or failed (given up).</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="NextAttemptAt">For a pending delivery: when it is tried next.</param>
/// <param name="DeliveredAt">When the receiver answered 2xx.</param>
/// <param name="FailedAt">When it was given up.</param>
/// <param name="LastStatusCode">The receiver's last status code, if it answered.</param>
/// <param name="LastError">What went wrong last.</param>
/// <param name="Payload">The body (only when one delivery is asked for).</param>
/// <param name="AttemptLog">Every attempt, oldest first.</param>
public sealed record WebhookDeliveryDto(
    long Id, long RecipientId, string EventId, string EventType, string Status, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt, DateTimeOffset? FailedAt, int? LastStatusCode, string? LastError, JsonElement? Payload, WebhookAttemptDto[] AttemptLog);

/// <summary>One attempt of a delivery.</summary>
/// <param name="Attempt">1 for the first.</param>
/// <param name="At">When it ended.</param>
/// <param name="StatusCode">The receiver's status code; null when it never answered.</param>
/// <param name="Error">What went wrong: the status, a refused connection, a timeout; null on success.</param>
/// <param name="DurationMs">How long it took.</param>
public sealed record WebhookAttemptDto(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, int DurationMs);

/// <summary>A page of deliveries, newest first; pass <c>next</c> as <c>cursor</c> for the following page.</summary>
public sealed record WebhookDeliveryPage(WebhookDeliveryDto[] Items, string? Next);

/// <summary>The body of POST /api/v1/privacy/recipients.</summary>
public sealed class PrivacyRecipientInput
{
    /// <summary>Who the recipient is, such as "Acme CRM (Salesforce)".</summary>
    public string? Name { get; set; }

    /// <summary>processor (default) or integration.</summary>
    public string? Kind { get; set; }

    /// <summary>The https URL the webhooks are POSTed to.</summary>
    public string? Url { get; set; }

    /// <summary>What it does with the data; the access report shows it.</summary>
    public string? Description { get; set; }
}

/// <summary>
/// /api/v1/privacy/recipients: the organisation's registered recipients (Article 19). Each is told by a signed webhook
/// of every rectification, erasure and restriction, retried with backoff until it answers 2xx, with a delivery log.
/// </summary>
public static class PrivacyRecipientsApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/privacy/recipients").WithTags("Privacy recipients");
        g.MapGet("/", List).WithSummary("The registered recipients with their delivery counts; ?includeRemoved=true lists removed ones too.");
        g.MapPost("/", Register).WithSummary("Registers a recipient; the answer carries its signing secret, shown only this once.").Accepts<PrivacyRecipientInput>("application/json");
        g.MapGet("/{id:long}", Get).WithSummary("One recipient.");
        g.MapDelete("/{id:long}", Remove).WithSummary("Removes a recipient: nothing more is sent to it; waiting deliveries are given up, the log stays.");
        g.MapPost("/{id:long}/secret", Rotate).WithSummary("Gives the recipient a new signing secret (shown only this once); the old one stops working at once.");
        g.MapPost("/{id:long}/test", Test).WithSummary("Queues a recipient.test event for the recipient.");
        g.MapGet("/{id:long}/deliveries", Deliveries).WithSummary("The delivery log, newest first, with every attempt; ?status=pending|delivered|failed, ?cursor=, ?limit= (1-500, default 100).");
        g.MapGet("/{id:long}/deliveries/{deliveryId:long}", Delivery).WithSummary("One delivery with its body and attempts.");
        g.MapPost("/{id:long}/deliveries/{deliveryId:long}/retry", Retry).WithSummary("Queues a given-up delivery again, due now.");
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? Time(v) : null;

    internal static PrivacyRecipientDto ToDto(PrivacyRecipientRow r) =>
        new(r.Id, r.Name, r.Kind, r.Url, r.Description, r.SecretHint, Time(r.CreatedAt), r.CreatedBy, Time(r.SecretRotatedAt), Time(r.RemovedAt),
            new DeliveryCountsDto(r.Pending, r.Delivered, r.Failed));

    internal static WebhookDeliveryDto ToDto(WebhookDeliveryRow d, IEnumerable<WebhookAttemptRow> attempts, bool withPayload) =>
        new(d.Id, d.RecipientId, d.EventId, d.EventType, d.Status, d.Attempts, Time(d.CreatedAt),
            d.Status == WebhookDeliveryStatuses.Pending ? Time(d.DueAt) : null, Time(d.DeliveredAt), Time(d.FailedAt), d.LastStatus, d.LastError,
            withPayload ? JsonDocument.Parse(d.Payload).RootElement.Clone() : null,
            attempts.Select(a => new WebhookAttemptDto(a.Attempt, Time(a.At), a.StatusCode, a.Error, a.DurationMs)).ToArray());

    private static ProblemHttpResult Problem<T>(Outcome<T> o, string what) => o.Code switch
    {
        "not_found" => ApiBody.NotFound(what),
        "status" => ApiBody.Conflict("status", o.Reason!),
        _ => ApiBody.Invalid(o.Code!, o.Reason!),
    };

    private static async Task<Ok<PrivacyRecipientDto[]>> List(bool? includeRemoved, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct) =>
        TypedResults.Ok((await r.For(user.OrgId()).ListAsync(includeRemoved == true, ct)).Select(ToDto).ToArray());

    private static async Task<Results<Created<PrivacyRecipientSecretDto>, ProblemHttpResult>> Register(HttpContext http, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var (input, problem) = await ApiBody.ReadAsync<PrivacyRecipientInput>(http);
        if (problem is not null)
            return problem;
        var result = await r.RegisterAsync(user.OrgId(), new RecipientInput(input!.Name, input.Kind, input.Url, input.Description), user.Actor(), ct);
        if (!result.IsOk)
            return Problem(result, "recipient");
        var (row, secret) = result.Value;
        return TypedResults.Created($"/api/v1/privacy/recipients/{row.Id}", new PrivacyRecipientSecretDto(ToDto(row), secret));
    }

    private static async Task<Results<Ok<PrivacyRecipientDto>, ProblemHttpResult>> Get(long id, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct) =>
        await r.For(user.OrgId()).GetAsync(id, ct) is { } row ? TypedResults.Ok(ToDto(row)) : ApiBody.NotFound("recipient");

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(long id, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var result = await r.RemoveAsync(user.OrgId(), id, user.Actor(), ct);
        return result.IsOk ? TypedResults.NoContent() : Problem(result, "recipient");
    }

    private static async Task<Results<Ok<PrivacyRecipientSecretDto>, ProblemHttpResult>> Rotate(long id, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var result = await r.RotateSecretAsync(user.OrgId(), id, user.Actor(), ct);
        return result.IsOk ? TypedResults.Ok(new PrivacyRecipientSecretDto(ToDto(result.Value.Recipient), result.Value.Secret)) : Problem(result, "recipient");
    }

    private static async Task<Results<Accepted<WebhookDeliveryDto>, ProblemHttpResult>> Test(long id, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var result = await r.TestAsync(user.OrgId(), id, user.Actor(), ct);
        return result.IsOk
            ? TypedResults.Accepted($"/api/v1/privacy/recipients/{id}/deliveries/{result.Value!.Id}", ToDto(result.Value, [], true))
            : Problem(result, "recipient");
    }

    private static async Task<Results<Ok<WebhookDeliveryPage>, ProblemHttpResult>> Deliveries(long id, string? status, string? cursor, int? limit, ClaimsPrincipal user,
        DataRecipientService r, CancellationToken ct)
    {
        var store = r.For(user.OrgId());
        if (await store.GetAsync(id, ct) is null)
            return ApiBody.NotFound("recipient");
        if (!string.IsNullOrEmpty(status) && !WebhookDeliveryStatuses.All.Contains(status))
            return ApiBody.Invalid("status", "must be one of " + string.Join(", ", WebhookDeliveryStatuses.All));
        if (!ApiBody.TryReadCursor(cursor, out var before))
            return ApiBody.Invalid("cursor", "is not a cursor this API gave");
        var take = limit ?? 100;
        if (take is < 1 or > 500)
            return ApiBody.Invalid("limit", "must be from 1 to 500");
        var rows = await store.ListDeliveriesAsync(id, string.IsNullOrEmpty(status) ? null : status, before, take, ct);
        var attempts = await store.ListAttemptsAsync(rows.Select(d => d.Id).ToList(), ct);
        return TypedResults.Ok(new WebhookDeliveryPage(rows.Select(d => ToDto(d, attempts[d.Id], false)).ToArray(),
            rows.Count == take ? ApiBody.Cursor(rows[^1].Id) : null));
    }

    private static async Task<Results<Ok<WebhookDeliveryDto>, ProblemHttpResult>> Delivery(long id, long deliveryId, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var store = r.For(user.OrgId());
        if (await store.GetDeliveryAsync(id, deliveryId, ct) is not { } d)
            return ApiBody.NotFound("delivery");
        return TypedResults.Ok(ToDto(d, (await store.ListAttemptsAsync([d.Id], ct))[d.Id], true));
    }

    private static async Task<Results<Ok<WebhookDeliveryDto>, ProblemHttpResult>> Retry(long id, long deliveryId, ClaimsPrincipal user, DataRecipientService r, CancellationToken ct)
    {
        var result = await r.RetryAsync(user.OrgId(), id, deliveryId, user.Actor(), ct);
        if (!result.IsOk)
            return Problem(result, "delivery");
        var attempts = await r.For(user.OrgId()).ListAttemptsAsync([deliveryId], ct);
        return TypedResults.Ok(ToDto(result.Value!, attempts[deliveryId], true));
    }
}
