using Dapper;

namespace Lupa.Storage;

/// <summary>A registered recipient of personal data (Article 19), told by webhook of rectifications, erasures and restrictions.</summary>
public sealed class PrivacyRecipientRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Url { get; init; } = "";
    public string Description { get; init; } = "";

    /// <summary>The signing secret, protected with ASP.NET Core Data Protection.</summary>
    public string Secret { get; init; } = "";

    /// <summary>The secret's first characters.</summary>
    public string SecretHint { get; init; } = "";
    public string CreatedBy { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? SecretRotatedAt { get; init; }
    public long? RemovedAt { get; init; }

    /// <summary>Deliveries waiting (queued or between retries).</summary>
    public long Pending { get; init; }

    /// <summary>Deliveries taken by the receiver.</summary>
    public long Delivered { get; init; }

    /// <summary>Deliveries given up after the last retry (or when the recipient was removed).</summary>
    public long Failed { get; init; }
}

/// <summary>One event for one recipient, with its retry state.</summary>
public sealed class WebhookDeliveryRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long RecipientId { get; init; }
    public string EventId { get; init; } = "";
    public string EventType { get; init; } = "";
    public long? SubscriberId { get; init; }
    public string? SubjectHash { get; init; }
    public string Payload { get; init; } = "";
    public long CreatedAt { get; init; }
    public long DueAt { get; init; }
    public int Attempts { get; init; }
    public long? LeaseUntil { get; init; }
    public long? DeliveredAt { get; init; }
    public long? FailedAt { get; init; }
    public int? LastStatus { get; init; }
    public string? LastError { get; init; }

    /// <summary>pending, delivered or failed.</summary>
    public string Status => DeliveredAt is not null ? WebhookDeliveryStatuses.Delivered : FailedAt is not null ? WebhookDeliveryStatuses.Failed : WebhookDeliveryStatuses.Pending;
}

/// <summary>A delivery claimed by a sender, with where it goes.</summary>
public sealed class ClaimedWebhook
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long RecipientId { get; init; }
    public string EventId { get; init; } = "";
    public string EventType { get; init; } = "";
    public string Payload { get; init; } = "";
    public int Attempts { get; init; }
    public string Url { get; init; } = "";

    /// <summary>The protected signing secret.</summary>
    public string Secret { get; init; } = "";
}

/// <summary>One attempt of a delivery: the receiver's status code, or what went wrong before it answered.</summary>
public sealed class WebhookAttemptRow
{
    public long Id { get; init; }
    public long DeliveryId { get; init; }
    public int Attempt { get; init; }
    public long At { get; init; }
    public int? StatusCode { get; init; }
    public string? Error { get; init; }
    public int DurationMs { get; init; }
}

/// <summary>A delivery about to be queued: the body is final, the signature is made at each attempt.</summary>
public sealed record NewWebhookDelivery(long RecipientId, string EventId, string EventType, long? SubscriberId, string? SubjectHash, string Payload);

/// <summary>The states of a delivery.</summary>
public static class WebhookDeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>Every status.</summary>
    public static readonly IReadOnlyList<string> All = [Pending, Delivered, Failed];
}

/// <summary>
/// One organisation's registered recipients and their delivery log. Bound to the organisation like
/// <see cref="OrganisationStore"/>. Deliveries are queued in the transaction of the change they tell of
/// (<see cref="InsertDeliveriesAsync"/>), so a committed rectification, erasure or restriction is never lost to a crash.
/// </summary>
public sealed class PrivacyRecipientStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    private const string WithCounts = """
        SELECT r.*,
          (SELECT count(*) FROM webhook_deliveries d WHERE d.recipient_id = r.id AND d.delivered_at IS NULL AND d.failed_at IS NULL) AS pending,
          (SELECT count(*) FROM webhook_deliveries d WHERE d.recipient_id = r.id AND d.delivered_at IS NOT NULL) AS delivered,
          (SELECT count(*) FROM webhook_deliveries d WHERE d.recipient_id = r.id AND d.failed_at IS NOT NULL) AS failed
        FROM privacy_recipients r
        """;

    /// <summary>Registers a recipient; returns its id.</summary>
    public async Task<long> AddAsync(string name, string kind, string url, string description, string protectedSecret, string secretHint,
        string createdBy, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO privacy_recipients (org_id, name, kind, url, description, secret, secret_hint, created_by, created_at)
            VALUES (@OrgId, @name, @kind, @url, @description, @protectedSecret, @secretHint, @createdBy, @now) RETURNING id
            """, new { OrgId, name, kind, url, description, protectedSecret, secretHint, createdBy, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>The recipients with their delivery counts, oldest first; removed ones only when asked.</summary>
    public async Task<IReadOnlyList<PrivacyRecipientRow>> ListAsync(bool includeRemoved = false, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PrivacyRecipientRow>(
            WithCounts + " WHERE r.org_id = @OrgId" + (includeRemoved ? "" : " AND r.removed_at IS NULL") + " ORDER BY r.id", new { OrgId })).AsList();
    }

    /// <summary>A recipient of this organisation (removed ones too), or null.</summary>
    public async Task<PrivacyRecipientRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PrivacyRecipientRow>(WithCounts + " WHERE r.org_id = @OrgId AND r.id = @id", new { OrgId, id });
    }

    /// <summary>
    /// Removes a recipient: nothing more is queued for it, and its waiting deliveries are given up ("recipient removed").
    /// Its log stays. False when there is no such recipient or it was removed before.
    /// </summary>
    public async Task<bool> RemoveAsync(long id, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE privacy_recipients SET removed_at = @now WHERE org_id = @OrgId AND id = @id AND removed_at IS NULL", new { OrgId, id, now }, tx.Transaction);
        if (n > 0)
            await tx.Connection.ExecuteAsync(
                """
                UPDATE webhook_deliveries SET failed_at = @now, lease_until = NULL, last_error = 'recipient removed'
                WHERE org_id = @OrgId AND recipient_id = @id AND delivered_at IS NULL AND failed_at IS NULL
                """, new { OrgId, id, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>Replaces the signing secret of a recipient that is not removed; false otherwise.</summary>
    public async Task<bool> RotateSecretAsync(long id, string protectedSecret, string secretHint, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE privacy_recipients SET secret = @protectedSecret, secret_hint = @secretHint, secret_rotated_at = @now WHERE org_id = @OrgId AND id = @id AND removed_at IS NULL",
            new { OrgId, id, protectedSecret, secretHint, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>The id and protected secret of every recipient not removed: who an event goes to.</summary>
    public async Task<IReadOnlyList<(long Id, string Secret)>> ActiveAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<(long, string)>(
            "SELECT id, secret FROM privacy_recipients WHERE org_id = @OrgId AND removed_at IS NULL ORDER BY id", new { OrgId })).AsList();
    }

    /// <summary>Queues deliveries inside the caller's transaction (the change they tell of commits with them).</summary>
    internal static async Task InsertDeliveriesAsync(WriteTransaction tx, long orgId, IReadOnlyList<NewWebhookDelivery>? deliveries, long now)
    {
        if (deliveries is null || deliveries.Count == 0)
            return;
        // A recipient removed since the deliveries were prepared gets nothing.
        await tx.Connection.ExecuteAsync(
            """
            INSERT INTO webhook_deliveries (org_id, recipient_id, event_id, event_type, subscriber_id, subject_hash, payload, created_at, due_at)
            SELECT @orgId, r.id, @EventId, @EventType, @SubscriberId, @SubjectHash, @Payload, @now, @now
            FROM privacy_recipients r WHERE r.org_id = @orgId AND r.id = @RecipientId AND r.removed_at IS NULL
            """,
            deliveries.Select(d => new { orgId, d.RecipientId, d.EventId, d.EventType, d.SubscriberId, d.SubjectHash, d.Payload, now }), tx.Transaction);
    }

    /// <summary>Queues deliveries on their own (a test event).</summary>
    public async Task EnqueueAsync(IReadOnlyList<NewWebhookDelivery> deliveries, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await InsertDeliveriesAsync(tx, OrgId, deliveries, now);
        await tx.CommitAsync(ct);
    }

    /// <summary>A recipient's deliveries, newest first, optionally of one status, before the id <paramref name="beforeId"/> (0: from the newest).</summary>
    public async Task<IReadOnlyList<WebhookDeliveryRow>> ListDeliveriesAsync(long recipientId, string? status, long beforeId, int limit, CancellationToken ct = default)
    {
        var filter = status switch
        {
            WebhookDeliveryStatuses.Pending => " AND delivered_at IS NULL AND failed_at IS NULL",
            WebhookDeliveryStatuses.Delivered => " AND delivered_at IS NOT NULL",
            WebhookDeliveryStatuses.Failed => " AND failed_at IS NOT NULL",
            _ => "",
        };
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<WebhookDeliveryRow>(
            "SELECT * FROM webhook_deliveries WHERE org_id = @OrgId AND recipient_id = @recipientId" + filter +
            " AND (@beforeId = 0 OR id < @beforeId) ORDER BY id DESC LIMIT @limit",
            new { OrgId, recipientId, beforeId, limit })).AsList();
    }

    /// <summary>One delivery of a recipient, or null.</summary>
    public async Task<WebhookDeliveryRow?> GetDeliveryAsync(long recipientId, long deliveryId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<WebhookDeliveryRow>(
            "SELECT * FROM webhook_deliveries WHERE org_id = @OrgId AND recipient_id = @recipientId AND id = @deliveryId", new { OrgId, recipientId, deliveryId });
    }

    /// <summary>The attempts of deliveries of this organisation, oldest first, by delivery.</summary>
    public async Task<ILookup<long, WebhookAttemptRow>> ListAttemptsAsync(IReadOnlyList<long> deliveryIds, CancellationToken ct = default)
    {
        if (deliveryIds.Count == 0)
            return Array.Empty<WebhookAttemptRow>().ToLookup(a => a.DeliveryId);
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<WebhookAttemptRow>(
            $"""
            SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE d.org_id = @OrgId AND a.delivery_id {db.InIds("ids")} ORDER BY a.delivery_id, a.attempt
            """, new { OrgId, ids = db.IdsValue(deliveryIds) });
        return rows.ToLookup(a => a.DeliveryId);
    }

    /// <summary>Puts a given-up delivery of a recipient that is not removed back in the queue, due now. False otherwise.</summary>
    public async Task<bool> RetryAsync(long recipientId, long deliveryId, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET failed_at = NULL, due_at = @now, lease_until = NULL
            WHERE org_id = @OrgId AND recipient_id = @recipientId AND id = @deliveryId AND failed_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM privacy_recipients r WHERE r.id = @recipientId AND r.removed_at IS NULL)
            """, new { OrgId, recipientId, deliveryId, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }
}

/// <summary>
/// The queue of webhook deliveries across organisations, worked by the webhook sender of any node: a delivery is
/// claimed under a lease (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL), and each attempt is logged with its outcome
/// and the next try in one transaction, so a crash at any point loses no event and logs every attempt that ended.
/// </summary>
public sealed class WebhookQueue(LupaDatabase db)
{
    private const string Due = "delivered_at IS NULL AND failed_at IS NULL AND due_at <= @now AND (lease_until IS NULL OR lease_until < @now)";

    /// <summary>Claims up to <paramref name="limit"/> due deliveries for <paramref name="leaseMs"/>, counting the attempt.</summary>
    public async Task<IReadOnlyList<ClaimedWebhook>> ClaimAsync(int limit, long now, long leaseMs, CancellationToken ct = default)
    {
        // Look before taking the write lock: an idle poll must not block other writers.
        await using (var c = await db.OpenAsync(ct))
        {
            if (await c.ExecuteScalarAsync<long?>("SELECT id FROM webhook_deliveries WHERE " + Due + " LIMIT 1", new { now }) is null)
                return [];
        }
        var leaseUntil = now + leaseMs;
        await using var tx = await db.BeginWriteAsync(ct);
        var ids = (await tx.Connection.QueryAsync<long>(
            "SELECT id FROM webhook_deliveries WHERE " + Due + " ORDER BY due_at, id LIMIT @limit" + (db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : ""),
            new { now, limit }, tx.Transaction)).AsList();
        if (ids.Count == 0)
            return [];
        var set = db.IdsValue(ids);
        await tx.Connection.ExecuteAsync(
            $"UPDATE webhook_deliveries SET lease_until = @leaseUntil, attempts = attempts + 1 WHERE id {db.InIds("ids")}", new { leaseUntil, ids = set }, tx.Transaction);
        var rows = (await tx.Connection.QueryAsync<ClaimedWebhook>(
            $"""
            SELECT d.id, d.org_id, d.recipient_id, d.event_id, d.event_type, d.payload, d.attempts, r.url, r.secret
            FROM webhook_deliveries d JOIN privacy_recipients r ON r.id = d.recipient_id
            WHERE d.id {db.InIds("ids")} ORDER BY d.due_at, d.id
            """, new { ids = set }, tx.Transaction)).AsList();
        await tx.CommitAsync(ct);
        return rows;
    }

    /// <summary>When the next waiting delivery is due, or null when none waits.</summary>
    public async Task<long?> NextDueAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>("SELECT min(due_at) FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL");
    }

    /// <summary>
    /// Logs an attempt and sets what follows: delivered (a 2xx), given up (<paramref name="retryAt"/> null), or due again
    /// at <paramref name="retryAt"/>. A delivery an erasure deleted meanwhile is left deleted.
    /// </summary>
    public async Task RecordAsync(ClaimedWebhook d, long at, int? statusCode, string? error, int durationMs, bool delivered, long? retryAt, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = d.Id;
        await tx.Connection.ExecuteAsync(
            """
            INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
            SELECT id, @attempt, @at, @statusCode, @error, @durationMs FROM webhook_deliveries WHERE id = @id
            """, new { id, attempt = d.Attempts, at, statusCode, error, durationMs }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET lease_until = NULL, last_status = @statusCode, last_error = @error,
              delivered_at = CASE WHEN @delivered THEN @at ELSE NULL END,
              failed_at = CASE WHEN @delivered OR @retryAt IS NOT NULL THEN NULL ELSE @at END,
              due_at = COALESCE(@retryAt, due_at)
            WHERE id = @id AND delivered_at IS NULL AND failed_at IS NULL
            """, new { id, at, statusCode, error, delivered, retryAt }, tx.Transaction);
        await tx.CommitAsync(ct);
    }
}
