using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>A recipient as registered: name, kind, webhook URL and what it does with the data.</summary>
public sealed record RecipientInput(string? Name, string? Kind, string? Url, string? Description);

/// <summary>The person an event is about: their subscriber id (when Lupa holds them) and normalised address.</summary>
public sealed record EventSubject(long? SubscriberId, string Email);

/// <summary>The body of every webhook.</summary>
/// <param name="Id">The event's id: the same on every retry and for every recipient.</param>
/// <param name="Type">subject.rectified, subject.erased, subject.restricted, subject.restriction_lifted or recipient.test.</param>
/// <param name="CreatedAt">When the change was made.</param>
/// <param name="Organisation">The organisation whose data it is.</param>
/// <param name="Subject">The person (null for a test).</param>
/// <param name="Data">What changed.</param>
public sealed record WebhookEvent(string Id, string Type, DateTimeOffset CreatedAt, WebhookOrganisation Organisation, WebhookSubject? Subject, object Data);

/// <summary>The organisation in a webhook body.</summary>
public sealed record WebhookOrganisation(string Slug, string Name);

/// <summary>
/// The person in a webhook body: Lupa's subscriber id, the keyed hash of the address under the recipient's secret
/// (<see cref="WebhookSignature.AddressHash"/>), and the address itself except in an erasure.
/// </summary>
public sealed record WebhookSubject(
    long? SubscriberId,
    string AddressHash,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email);

/// <summary>
/// The organisation's registered recipients (Article 19): registration with a signing secret shown once, removal,
/// a new secret, test events, and the deliveries every rectification, erasure and restriction queues for each of them.
/// Every change is written to the audit trail (never the secret). Failures are <see cref="Outcome{T}"/> codes:
/// <c>not_found</c> (404), <c>status</c> (409), or the field at fault (422).
/// </summary>
public sealed class DataRecipientService(
    LupaDatabase db,
    SystemStore system,
    IDataProtectionProvider protection,
    WebhookSignal signal,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<DataRecipientService> log)
{
    /// <summary>Longest name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Longest description.</summary>
    public const int MaxDescriptionLength = 2000;

    /// <summary>How webhook bodies are written.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDataProtector _secrets = protection.CreateProtector("Lupa.PrivacyRecipients.Secret.v1");

    /// <summary>The recipients of one organisation.</summary>
    public PrivacyRecipientStore For(long orgId) => new(db, orgId);

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The secret as the receiver holds it, from its stored (protected) form.</summary>
    public string Unprotect(string stored) => _secrets.Unprotect(stored);

    /// <summary>Registers a recipient; the answer carries its signing secret, shown this once.</summary>
    public async Task<Outcome<(PrivacyRecipientRow Recipient, string Secret)>> RegisterAsync(long orgId, RecipientInput input, string actor, CancellationToken ct)
    {
        var name = (input.Name ?? "").Trim();
        if (name.Length == 0)
            return Fail<(PrivacyRecipientRow, string)>("name", "is required");
        if (TextRules.NameProblem(name, MaxNameLength) is { } np)
            return Fail<(PrivacyRecipientRow, string)>("name", np);
        var kind = string.IsNullOrWhiteSpace(input.Kind) ? RecipientKinds.Processor : input.Kind.Trim();
        if (!RecipientKinds.IsKnown(kind))
            return Fail<(PrivacyRecipientRow, string)>("kind", "must be one of " + string.Join(", ", RecipientKinds.All));
        var url = WebhookUrl.Parse(input.Url, options.Value.Webhooks.AllowHttp);
        if (!url.IsOk)
            return Fail<(PrivacyRecipientRow, string)>(url.Code!, url.Reason!);
        var description = (input.Description ?? "").Trim();
        if (description.Length > MaxDescriptionLength)
            return Fail<(PrivacyRecipientRow, string)>("description", $"must be at most {MaxDescriptionLength} characters");
        var secret = WebhookSignature.NewSecret();
        var store = For(orgId);
        var id = await store.AddAsync(name, kind, url.Value!.AbsoluteUri, description, _secrets.Protect(secret), Hint(secret), actor, Now(), ct);
        await AuditAsync(orgId, actor, "add", id, new { name, kind, url = url.Value.AbsoluteUri }, ct);
        log.LogInformation("Privacy recipient {RecipientId} registered in organisation {OrgId}", id, orgId);
        return Outcome<(PrivacyRecipientRow, string)>.Ok(((await store.GetAsync(id, ct))!, secret));
    }

    // Enough of the secret to tell which one a receiver holds, too little to matter.
    private static string Hint(string secret) => secret[..(WebhookSignature.SecretPrefix.Length + 4)] + "…";

    /// <summary>Removes a recipient: nothing more is sent to it; its waiting deliveries are given up and its log stays.</summary>
    public async Task<Outcome<PrivacyRecipientRow>> RemoveAsync(long orgId, long id, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetAsync(id, ct) is null)
            return Fail<PrivacyRecipientRow>("not_found", "No recipient with that id in this organisation.");
        if (!await store.RemoveAsync(id, Now(), ct))
            return Fail<PrivacyRecipientRow>("status", "The recipient was removed before.");
        await AuditAsync(orgId, actor, "remove", id, null, ct);
        return Outcome<PrivacyRecipientRow>.Ok((await store.GetAsync(id, ct))!);
    }

    /// <summary>Gives a recipient a new signing secret (shown this once); the old one stops working at once.</summary>
    public async Task<Outcome<(PrivacyRecipientRow Recipient, string Secret)>> RotateSecretAsync(long orgId, long id, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetAsync(id, ct) is null)
            return Fail<(PrivacyRecipientRow, string)>("not_found", "No recipient with that id in this organisation.");
        var secret = WebhookSignature.NewSecret();
        if (!await store.RotateSecretAsync(id, _secrets.Protect(secret), Hint(secret), Now(), ct))
            return Fail<(PrivacyRecipientRow, string)>("status", "The recipient is removed.");
        await AuditAsync(orgId, actor, "rotate_secret", id, null, ct);
        return Outcome<(PrivacyRecipientRow, string)>.Ok(((await store.GetAsync(id, ct))!, secret));
    }

    /// <summary>Queues a test event (about nobody) for one recipient; answers the delivery.</summary>
    public async Task<Outcome<WebhookDeliveryRow>> TestAsync(long orgId, long id, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        var recipient = await store.GetAsync(id, ct);
        if (recipient is null)
            return Fail<WebhookDeliveryRow>("not_found", "No recipient with that id in this organisation.");
        if (recipient.RemovedAt is not null)
            return Fail<WebhookDeliveryRow>("status", "The recipient is removed.");
        var org = (await system.GetOrganisationAsync(orgId, ct))!;
        var eventId = NewEventId();
        var body = JsonSerializer.Serialize(new WebhookEvent(eventId, RecipientEvents.Test, clock.GetUtcNow(), new(org.Slug, org.Name), null,
            new { message = "A test from Lupa: verify the signature and answer 2xx." }), Json);
        await store.EnqueueAsync([new NewWebhookDelivery(id, eventId, RecipientEvents.Test, null, null, body)], Now(), ct);
        signal.Notify();
        await AuditAsync(orgId, actor, "test", id, null, ct);
        return Outcome<WebhookDeliveryRow>.Ok((await store.ListDeliveriesAsync(id, null, 0, 1, ct))[0]);
    }

    /// <summary>Puts a given-up delivery back in the queue.</summary>
    public async Task<Outcome<WebhookDeliveryRow>> RetryAsync(long orgId, long recipientId, long deliveryId, string actor, CancellationToken ct)
    {
        var store = For(orgId);
        if (await store.GetDeliveryAsync(recipientId, deliveryId, ct) is null)
            return Fail<WebhookDeliveryRow>("not_found", "No delivery with that id for this recipient.");
        if (!await store.RetryAsync(recipientId, deliveryId, Now(), ct))
            return Fail<WebhookDeliveryRow>("status", "Only a delivery that was given up can be retried, and only while its recipient is registered.");
        signal.Notify();
        await AuditAsync(orgId, actor, "retry", recipientId, new { delivery = deliveryId }, ct);
        return Outcome<WebhookDeliveryRow>.Ok((await store.GetDeliveryAsync(recipientId, deliveryId, ct))!);
    }

    /// <summary>
    /// The deliveries of one event to every registered recipient, to be queued in the transaction of the change
    /// (the stores take them as <c>notify</c>). Each body names the person by subscriber id and by the keyed hash of the
    /// address under that recipient's secret; an erasure's body carries no address. Empty when nobody is registered.
    /// </summary>
    public async Task<IReadOnlyList<NewWebhookDelivery>> PrepareAsync(long orgId, string eventType, EventSubject subject, object data, CancellationToken ct)
    {
        var recipients = await For(orgId).ActiveAsync(ct);
        if (recipients.Count == 0)
            return [];
        var org = (await system.GetOrganisationAsync(orgId, ct))!;
        var eventId = NewEventId();
        var at = clock.GetUtcNow();
        var address = EmailAddress.Parse(subject.Email);
        var subjectHash = address.IsOk ? SuppressionKey.For(db.SuppressionKey, address.Value!) : null;
        var deliveries = new List<NewWebhookDelivery>(recipients.Count);
        foreach (var (id, stored) in recipients)
        {
            string addressHash;
            try
            {
                addressHash = WebhookSignature.AddressHash(Unprotect(stored), subject.Email);
            }
            catch (CryptographicException)
            {
                // The Data Protection keys that protected this secret are gone: the delivery fails at send and says so.
                log.LogError("The signing secret of privacy recipient {RecipientId} cannot be read; give it a new secret", id);
                addressHash = "";
            }
            var body = new WebhookEvent(eventId, eventType, at, new(org.Slug, org.Name),
                new WebhookSubject(subject.SubscriberId, addressHash, eventType == RecipientEvents.Erased ? null : subject.Email), data);
            deliveries.Add(new NewWebhookDelivery(id, eventId, eventType, subject.SubscriberId, subjectHash, JsonSerializer.Serialize(body, Json)));
        }
        return deliveries;
    }

    /// <summary>Wakes the sender after deliveries were queued.</summary>
    public void Wake() => signal.Notify();

    private static string NewEventId() => "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static Outcome<T> Fail<T>(string code, string reason) => Outcome<T>.Fail(code, reason);

    private Task AuditAsync(long orgId, string actor, string action, long id, object? facts, CancellationToken ct) =>
        new AuditStore(db).AppendAsync(orgId, actor, "privacy_recipient." + action, "privacy_recipient:" + id, JsonSerializer.Serialize(facts ?? new { }), Now(), ct);
}
