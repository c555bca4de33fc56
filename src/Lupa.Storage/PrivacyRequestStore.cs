using Dapper;
using Lupa.Domain.Privacy;

namespace Lupa.Storage;

/// <summary>A request about to be registered.</summary>
public sealed record NewPrivacyRequest(
    string Type, string? ObjectionScope, string Email, long? SubscriberId, string Language, string Channel,
    long ReceivedAt, long? VerifiedAt, long DueAt, string Status, string? Handler, string Details, string CreatedBy);

/// <summary>
/// Which requests to list. <see cref="Status"/> is one status, or null for every verified one (requests whose
/// verification link was never opened only show when asked for by status). The due bounds apply to the
/// effective due time (the extended one when extended) and, when given, only to open requests.
/// </summary>
public sealed record PrivacyRequestFilter(string? Status = null, long? DueFrom = null, long? DueTo = null, int Limit = 100)
{
    /// <summary>Only requests that wait for the privacy officer's approval.</summary>
    public bool AwaitingApproval { get; init; }
}

/// <summary>A change to a request, applied only if it is still in the status (and extension) it was read in.</summary>
public sealed record PrivacyRequestChange(string FromStatus, int FromExtensionMonths, string Status)
{
    public long? ExtendedUntil { get; init; }
    public int? ExtensionMonths { get; init; }
    public string? ExtensionReason { get; init; }
    public string? Handler { get; init; }
    public string? Outcome { get; init; }
    public long? ClosedAt { get; init; }
}

/// <summary>
/// One organisation's register of data-subject requests. Bound to the organisation like
/// <see cref="OrganisationStore"/>: every statement filters on its id. Mail about a request is queued in the
/// same transaction as the change it tells of.
/// </summary>
public sealed class PrivacyRequestStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    private static readonly string OpenStatuses = string.Join(", ", PrivacyRequestStatuses.Open.Select(s => $"'{s}'"));

    /// <summary>Registers a request; <paramref name="mail"/>, given the new id, is queued with it.</summary>
    public async Task<long> CreateAsync(NewPrivacyRequest r, Func<long, OutboxMessage>? mail, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO privacy_requests (org_id, type, objection_scope, subject_email, subscriber_id, language, channel, received_at, verified_at,
              due_at, status, handler, details, created_by, updated_at)
            VALUES (@OrgId, @Type, @ObjectionScope, @Email, @SubscriberId, @Language, @Channel, @ReceivedAt, @VerifiedAt,
              @DueAt, @Status, @Handler, @Details, @CreatedBy, @now)
            RETURNING id
            """,
            new { OrgId, r.Type, r.ObjectionScope, r.Email, r.SubscriberId, r.Language, r.Channel, r.ReceivedAt, r.VerifiedAt, r.DueAt, r.Status, r.Handler, r.Details, r.CreatedBy, now },
            tx.Transaction);
        if (mail is not null)
            await OutboxStore.InsertAsync(tx, OrgId, mail(id), now);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>An unverified request of the same type from the same address received since <paramref name="since"/>, or null.</summary>
    public async Task<PrivacyRequestRow?> FindRecentUnverifiedAsync(string email, string type, string? objectionScope, long since, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<PrivacyRequestRow>(
            """
            SELECT * FROM privacy_requests
            WHERE org_id = @OrgId AND subject_email = @email AND type = @type AND coalesce(objection_scope, '') = @scope
              AND status = 'received' AND received_at >= @since
            ORDER BY id DESC LIMIT 1
            """,
            new { OrgId, email, type, scope = objectionScope ?? "", since });
    }

    /// <summary>A request of this organisation, or null.</summary>
    public async Task<PrivacyRequestRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PrivacyRequestRow>("SELECT * FROM privacy_requests WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>Requests by the filter: open ones first, soonest due first; then closed ones, newest first.</summary>
    public async Task<IReadOnlyList<PrivacyRequestRow>> ListAsync(PrivacyRequestFilter f, CancellationToken ct = default)
    {
        var where = new List<string> { "org_id = @OrgId" };
        where.Add(f.Status is null ? "status <> 'received'" : "status = @Status");
        if (f.DueFrom is not null || f.DueTo is not null)
            where.Add($"status IN ({OpenStatuses})");
        if (f.DueFrom is not null)
            where.Add("coalesce(extended_until, due_at) >= @DueFrom");
        if (f.DueTo is not null)
            where.Add("coalesce(extended_until, due_at) <= @DueTo");
        if (f.AwaitingApproval)
            where.Add($"awaiting_approval_since IS NOT NULL AND approved_at IS NULL AND status IN ({OpenStatuses})");
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PrivacyRequestRow>(
            $"""
            SELECT * FROM privacy_requests WHERE {string.Join(" AND ", where)}
            ORDER BY CASE WHEN status IN ({OpenStatuses}) THEN 0 ELSE 1 END,
              CASE WHEN status IN ({OpenStatuses}) THEN coalesce(extended_until, due_at) ELSE -id END, id
            LIMIT @Limit
            """,
            new { OrgId, f.Status, f.DueFrom, f.DueTo, f.Limit })).AsList();
    }

    /// <summary>Open requests overdue (due before <paramref name="now"/>) and due soon (due from now to <paramref name="dueSoonTo"/>).</summary>
    public async Task<(long Overdue, long DueSoon)> CountDeadlinesAsync(long now, long dueSoonTo, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleAsync<(long, long)>(
            $"""
            SELECT coalesce(sum(CASE WHEN coalesce(extended_until, due_at) < @now THEN 1 ELSE 0 END), 0),
                   coalesce(sum(CASE WHEN coalesce(extended_until, due_at) >= @now AND coalesce(extended_until, due_at) <= @dueSoonTo THEN 1 ELSE 0 END), 0)
            FROM privacy_requests WHERE org_id = @OrgId AND status IN ({OpenStatuses})
            """,
            new { OrgId, now, dueSoonTo });
    }

    /// <summary>
    /// Verifies a received request whose receipt time matches the link's, linking it to the subscriber with its
    /// address if there is one. Returns the request as it is afterwards, or null when there is no such request.
    /// </summary>
    public async Task<(PrivacyRequestRow? Request, bool Changed)> VerifyAsync(long id, long receivedAt, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            """
            UPDATE privacy_requests SET status = 'verified', verified_at = @now, updated_at = @now,
              subscriber_id = (SELECT s.id FROM subscribers s WHERE s.org_id = @OrgId AND s.email = privacy_requests.subject_email)
            WHERE org_id = @OrgId AND id = @id AND status = 'received' AND received_at = @receivedAt
            """,
            new { OrgId, id, receivedAt, now }, tx.Transaction);
        var row = await tx.Connection.QuerySingleOrDefaultAsync<PrivacyRequestRow>(
            "SELECT * FROM privacy_requests WHERE org_id = @OrgId AND id = @id AND received_at = @receivedAt", new { OrgId, id, receivedAt }, tx.Transaction);
        await tx.CommitAsync(ct);
        return (row, changed > 0);
    }

    /// <summary>
    /// Applies a change if the request is still in the status and extension it was read in (another officer may have
    /// acted meanwhile), queuing <paramref name="mail"/> with it. False when it was not.
    /// </summary>
    public async Task<bool> ChangeAsync(long id, PrivacyRequestChange c, OutboxMessage? mail, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            """
            UPDATE privacy_requests SET status = @Status,
              extended_until = coalesce(@ExtendedUntil, extended_until),
              extension_months = coalesce(@ExtensionMonths, extension_months),
              extension_reason = coalesce(@ExtensionReason, extension_reason),
              handler = coalesce(@Handler, handler),
              outcome = coalesce(@Outcome, outcome),
              closed_at = coalesce(@ClosedAt, closed_at),
              updated_at = @now
            WHERE org_id = @OrgId AND id = @id AND status = @FromStatus AND extension_months = @FromExtensionMonths
            """,
            new { OrgId, id, c.Status, c.ExtendedUntil, c.ExtensionMonths, c.ExtensionReason, c.Handler, c.Outcome, c.ClosedAt, c.FromStatus, c.FromExtensionMonths, now },
            tx.Transaction);
        if (changed > 0 && mail is not null)
            await OutboxStore.InsertAsync(tx, OrgId, mail, now);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>Whether verified self-service requests wait for the privacy officer's approval before they are fulfilled.</summary>
    public async Task<bool> GetFulfilmentApprovalAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT fulfilment_approval FROM organisations WHERE id = @OrgId", new { OrgId }) != 0;
    }

    /// <summary>Sets whether fulfilment waits for approval, with the audit entry of the change; false when it was so already.</summary>
    public async Task<bool> SetFulfilmentApprovalAsync(bool required, AuditEntry audit, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            "UPDATE organisations SET fulfilment_approval = @value WHERE id = @OrgId AND fulfilment_approval <> @value",
            new { OrgId, value = required ? 1 : 0 }, tx.Transaction) > 0;
        if (changed)
            await AuditStore.AppendInAsync(db, tx, [audit]);
        await tx.CommitAsync(ct);
        return changed;
    }

    /// <summary>Marks a verified request as waiting for approval; false when it is not open or waits already.</summary>
    public async Task<bool> AwaitApprovalAsync(long id, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            $"UPDATE privacy_requests SET awaiting_approval_since = @now, updated_at = @now WHERE org_id = @OrgId AND id = @id AND awaiting_approval_since IS NULL AND status IN ({OpenStatuses})",
            new { OrgId, id, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>Records the officer's approval of a request that waits for it; false when it does not (any more).</summary>
    public async Task<bool> ApproveAsync(long id, string actor, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var changed = await tx.Connection.ExecuteAsync(
            $"UPDATE privacy_requests SET approved_by = @actor, approved_at = @now, updated_at = @now " +
            $"WHERE org_id = @OrgId AND id = @id AND awaiting_approval_since IS NOT NULL AND approved_at IS NULL AND status IN ({OpenStatuses})",
            new { OrgId, id, actor, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return changed > 0;
    }

    /// <summary>The campaign messages sent to a subscriber, oldest first (for the access report).</summary>
    public async Task<IReadOnlyList<SentMessageRow>> ListMessagesSentAsync(long subscriberId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<SentMessageRow>(
            """
            SELECT c.id AS campaign_id, c.name AS campaign_name, c.subject, r.sent_at
            FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
            WHERE c.org_id = @OrgId AND r.subscriber_id = @subscriberId AND r.state = 1
            ORDER BY r.sent_at, c.id
            """,
            new { OrgId, subscriberId })).AsList();
    }

    /// <summary>Queues a mail unless one with its Message-ID is already queued (the daily summary, once per person and day).</summary>
    public async Task<bool> EnqueueOnceAsync(OutboxMessage mail, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var queued = await OutboxStore.InsertAsync(tx, OrgId, mail, now, once: true);
        await tx.CommitAsync(ct);
        return queued;
    }
}
