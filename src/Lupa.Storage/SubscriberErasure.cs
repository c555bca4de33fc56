using System.Text.RegularExpressions;
using Dapper;

namespace Lupa.Storage;

/// <summary>How many rows an erasure removed or blanked, per place (no address, so it may be logged and audited).</summary>
public sealed record ErasureCounts(
    int Subscribers, int Subscriptions, int ConsentRecords, int CampaignRecipients, int Outbox, int CaughtMessages,
    int ImportReportChunks, int PrivacyRequests, int WebhookDeliveries = 0, int BreachNoticeRecipients = 0);

/// <summary>
/// Erasure (GDPR Article 17) at the storage layer: removes one person of one organisation from every table that can
/// hold them, in one transaction, and leaves only the keyed hash of the address on the suppression list (reason
/// <c>erased</c>, every list), so a later import skips them while their own new subscription is still allowed.
/// </summary>
/// <remarks>
/// Deleting rows is not enough for "nothing personal readable in the database files": the engines keep deleted bytes
/// in free space. SQLite runs with <c>secure_delete=ON</c> on every connection (<see cref="LupaDatabase.OpenAsync"/>)
/// so freed cells and pages are zeroed, and <see cref="ScrubFilesAsync"/> then checkpoints the WAL with TRUNCATE so
/// no older page version stays in <c>-wal</c>. On PostgreSQL a deleted tuple stays in its heap and index pages; a
/// plain VACUUM prunes it, but page compaction does not zero the hole it leaves, so the newest tuples of a page stay
/// readable. <see cref="ScrubFilesAsync"/> therefore rewrites the touched tables with <c>VACUUM FULL</c> (new files,
/// indexes rebuilt; the old files are unlinked). It is a separate step, run in the background right after an
/// erasure and batched over erasures that arrive meanwhile, because it takes seconds and an exclusive lock on a
/// large table.
/// </remarks>
public sealed class SubscriberErasure(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    /// <summary>
    /// Every table that can hold a subscriber's personal data, in the order an erasure empties them. The scrub rewrites
    /// these. <c>bounce_events</c> carries the subscriber and the raw report, which names the address;
    /// <c>tracking_events</c> the person's individual opens and clicks, <c>webhook_deliveries</c> the bodies sent to the registered recipients (a rectification names the person), and
    /// <c>breach_notice_recipients</c> the people a breach notice went to.
    /// </summary>
    public static readonly IReadOnlyList<string> PersonalTables =
        ["bounce_events", "tracking_events", "campaign_recipients", "consent_records", "subscriptions", "subscribers", "webhook_deliveries", "breach_notice_recipients",
         "caught_messages", "outbox", "import_report_chunks", "privacy_requests"];

    /// <summary>
    /// Erases the person with this normalised address. <paramref name="addressHash"/> is the keyed hash
    /// (<c>SuppressionKey.For</c>) that replaces the address on the suppression list and on their privacy requests.
    /// Every privacy request of theirs keeps no address and no words of theirs afterwards (the details are blanked).
    /// The webhook deliveries about them (whose bodies may name them) go, and <paramref name="notify"/>, the erasure's own
    /// deliveries to the registered recipients (Article 19; they carry no address), are queued in the same transaction.
    /// With <paramref name="suppress"/> false no suppression entry is written: the retention job removes people who
    /// never confirmed a subscription that way, since they never were on a list and a later import with evidence may add them.
    /// </summary>
    public async Task<ErasureCounts> EraseAsync(string email, string addressHash, long now, CancellationToken ct = default,
        IReadOnlyList<NewWebhookDelivery>? notify = null, bool suppress = true)
    {
        var lower = email.ToLowerInvariant();
        await using var tx = await db.BeginWriteAsync(ct);
        var c = tx.Connection;
        var t = tx.Transaction;
        var ids = (await c.QueryAsync<long>("SELECT id FROM subscribers WHERE org_id = @OrgId AND email = @email", new { OrgId, email }, t)).AsList();
        int recipients = 0, consents = 0, subscriptions = 0, subscribers = 0;
        foreach (var id in ids)
        {
            // A subscriber id belongs to one organisation (the ids were read with its filter above), so the rows keyed by it
            // need no org filter of their own; with one, SQLite's planner may pick an index led by org_id, such as the
            // reports' (org_id, recorded_at), and read every row of the organisation.
            recipients += await c.ExecuteAsync("DELETE FROM campaign_recipients WHERE subscriber_id = @id", new { id }, t);
            consents += await c.ExecuteAsync("DELETE FROM consent_records WHERE subscriber_id = @id", new { id }, t);
            subscriptions += await c.ExecuteAsync("DELETE FROM subscriptions WHERE org_id = @OrgId AND subscriber_id = @id", new { OrgId, id }, t);
            subscribers += await c.ExecuteAsync("DELETE FROM subscribers WHERE org_id = @OrgId AND id = @id", new { OrgId, id }, t);
            await c.ExecuteAsync("DELETE FROM bounce_events WHERE subscriber_id = @id", new { id }, t);
            await TrackingStore.DeletePersonEventsAsync(tx, OrgId, id);
        }
        // Before the outbox: a breach notice being queued holds its person's row until it commits, and its mail is
        // then in the outbox when the outbox is emptied below.
        var noticeRecipients = await c.ExecuteAsync(
            $"DELETE FROM breach_notice_recipients WHERE org_id = @OrgId AND (lower(email) = @lower OR subscriber_id {db.InIds("ids")})",
            new { OrgId, lower, ids = db.IdsValue(ids) }, t);
        var theirDeliveries = $"SELECT id FROM webhook_deliveries WHERE org_id = @OrgId AND (subject_hash = @addressHash OR subscriber_id {db.InIds("ids")})";
        await c.ExecuteAsync($"DELETE FROM webhook_attempts WHERE delivery_id IN ({theirDeliveries})", new { OrgId, addressHash, ids = db.IdsValue(ids) }, t);
        var deliveries = await c.ExecuteAsync($"DELETE FROM webhook_deliveries WHERE id IN ({theirDeliveries})", new { OrgId, addressHash, ids = db.IdsValue(ids) }, t);
        await PrivacyRecipientStore.InsertDeliveriesAsync(tx, OrgId, notify, now);
        // The mail catcher is above organisations: leave what another organisation sent to the same address.
        var caught = await c.ExecuteAsync(
            """
            DELETE FROM caught_messages WHERE lower(rcpt_to) = @lower
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = caught_messages.message_id AND o.org_id <> @OrgId)
            """, new { OrgId, lower }, t);
        var outbox = await c.ExecuteAsync("DELETE FROM outbox WHERE org_id = @OrgId AND lower(rcpt_to) = @lower", new { OrgId, lower }, t);
        var chunks = await ScrubImportReportsAsync(tx, lower);
        var requests = await c.ExecuteAsync(
            "UPDATE privacy_requests SET subject_email = NULL, subject_hash = @addressHash, details = '', updated_at = @now WHERE org_id = @OrgId AND subject_email = @email",
            new { OrgId, email, addressHash, now }, t);
        if (suppress)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO suppressions (org_id, address_hash, list_id, reason, created_at) VALUES (@OrgId, @addressHash, 0, 'erased', @now)
                ON CONFLICT (org_id, address_hash, list_id) DO NOTHING
                """, new { OrgId, addressHash, now }, t);
        }
        await tx.CommitAsync(ct);
        return new ErasureCounts(subscribers, subscriptions, consents, recipients, outbox, caught, chunks, requests, deliveries, noticeRecipients);
    }

    // Import reports are CSV text in chunks; every mention of the address becomes "[erased]", the row and its outcome stay.
    private async Task<int> ScrubImportReportsAsync(WriteTransaction tx, string lower)
    {
        var contains = db.IsPostgres ? "strpos(lower(r.body), @lower) > 0" : "instr(lower(r.body), @lower) > 0";
        var chunks = (await tx.Connection.QueryAsync<(long ImportId, int Seq, string Body)>(
            $"SELECT r.import_id, r.seq, r.body FROM import_report_chunks r JOIN imports i ON i.id = r.import_id WHERE i.org_id = @OrgId AND {contains}",
            new { OrgId, lower }, tx.Transaction)).AsList();
        foreach (var (importId, seq, body) in chunks)
        {
            var scrubbed = Regex.Replace(body, Regex.Escape(lower), "[erased]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            await tx.Connection.ExecuteAsync("UPDATE import_report_chunks SET body = @scrubbed WHERE import_id = @importId AND seq = @seq",
                new { scrubbed, importId, seq }, tx.Transaction);
        }
        return chunks.Count;
    }

    /// <summary>
    /// Makes what erasures deleted unreadable in the database files (see the remarks on the type). Returns false when
    /// SQLite could not truncate the WAL because a reader still held an old snapshot (try again later).
    /// </summary>
    public static async Task<bool> ScrubFilesAsync(LupaDatabase db, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        if (db.IsPostgres)
        {
            foreach (var table in PersonalTables)
                await c.ExecuteAsync(new CommandDefinition($"VACUUM FULL {table}", commandTimeout: 3600, cancellationToken: ct));
            return true;
        }
        // busy = 1 when a reader or writer kept the checkpoint from finishing.
        var (busy, _, _) = await c.QuerySingleAsync<(long Busy, long Log, long Checkpointed)>(
            new CommandDefinition("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken: ct));
        return busy == 0;
    }
}
