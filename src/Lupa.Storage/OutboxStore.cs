using Dapper;

namespace Lupa.Storage;

/// <summary>
/// The durable queue of system mail. A message is written in the same transaction as the change
/// that caused it, claimed under a lease by a sender, and marked sent only after the relay took it,
/// so a crash at any point loses nothing.
/// </summary>
public sealed class OutboxStore(LupaDatabase db)
{
    // Not sent, not given up, due, and not leased to a live sender.
    private const string Due = "sent_at IS NULL AND failed_at IS NULL AND due_at <= @now AND (lease_until IS NULL OR lease_until < @now)";

    /// <summary>
    /// Queues a message inside the caller's transaction, so it goes out exactly when the change that caused it
    /// commits. With <paramref name="once"/> a message whose Message-ID is already queued is skipped: a stable
    /// Message-ID then makes the mail idempotent across retries and nodes. Returns whether it was queued.
    /// </summary>
    internal static async Task<bool> InsertAsync(WriteTransaction tx, long orgId, OutboxMessage m, long now, bool once = false) =>
        await tx.ExecuteAsync(
            "INSERT INTO outbox (org_id, purpose, message_id, mail_from, rcpt_to, mime, render_ref, legal_basis, created_at, due_at) " +
            "VALUES (@orgId, @Purpose, @MessageId, @MailFrom, @RcptTo, @Mime, @RenderRef, @LegalBasis, @now, @due)" +
            (once ? " ON CONFLICT (message_id) DO NOTHING" : ""),
            new { orgId, m.Purpose, m.MessageId, m.MailFrom, m.RcptTo, m.Mime, m.RenderRef, m.LegalBasis, now, due = m.DueAt ?? now }) > 0;

    /// <summary>Claims up to <paramref name="limit"/> due messages for <paramref name="leaseMs"/> milliseconds.</summary>
    public async Task<IReadOnlyList<OutboxRow>> ClaimAsync(int limit, long now, long leaseMs, CancellationToken ct = default)
    {
        var leaseUntil = now + leaseMs;
        // Look before taking the write lock: an idle poll must not block other writers (or other processes on SQLite).
        await using (var c = await db.OpenAsync(ct))
        {
            var any = await c.ExecuteScalarAsync<long?>(
                "SELECT id FROM outbox WHERE " + Due + " LIMIT 1", new { now });
            if (any is null)
                return [];
        }
        await using var tx = await db.BeginWriteAsync(ct);
        var lockClause = db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "";
        var rows = (await tx.Connection.QueryAsync<OutboxRow>(
            "SELECT id, org_id, purpose, message_id, mail_from, rcpt_to, mime, render_ref, attempts, sent_at FROM outbox " +
            "WHERE " + Due + " " +
            "ORDER BY due_at, id LIMIT @limit" + lockClause,
            new { now, limit }, tx.Transaction)).AsList();
        if (rows.Count > 0)
        {
            await tx.Connection.ExecuteAsync(
                "UPDATE outbox SET lease_until = @leaseUntil, attempts = attempts + 1 WHERE id = @Id",
                rows.Select(r => new { leaseUntil, r.Id }), tx.Transaction);
        }
        await tx.CommitAsync(ct);
        return rows;
    }

    /// <summary>Marks messages the relay accepted.</summary>
    public async Task MarkSentAsync(IEnumerable<long> ids, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE outbox SET sent_at = @now, lease_until = NULL WHERE id = @id",
            ids.Select(id => new { id, now }), tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>Puts a message back for a later try, or gives it up for good when <paramref name="permanent"/>.</summary>
    public async Task MarkFailedAsync(long id, string error, bool permanent, long retryAt, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            permanent
                ? "UPDATE outbox SET failed_at = @now, lease_until = NULL, last_error = @error WHERE id = @id"
                : "UPDATE outbox SET due_at = @retryAt, lease_until = NULL, last_error = @error WHERE id = @id",
            new { id, error, retryAt, now }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>Counts messages not yet sent nor given up.</summary>
    public async Task<long> CountWaitingAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL");
    }
}
