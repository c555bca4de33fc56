using Dapper;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;

namespace Lupa.Storage;

/// <summary>A personal data breach in the register (Article 33(5)).</summary>
public sealed class BreachRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public string Title { get; init; } = "";
    public long DiscoveredAt { get; init; }
    public long? OccurredAt { get; init; }
    public string Nature { get; init; } = "";
    public string SubjectCategories { get; init; } = "";
    public long? SubjectsApprox { get; init; }
    public string RecordCategories { get; init; } = "";
    public long? RecordsApprox { get; init; }
    public string Consequences { get; init; } = "";
    public string Measures { get; init; } = "";
    public string DpoContact { get; init; } = "";
    public string AuthorityStatus { get; init; } = AuthorityStatuses.Pending;
    public long? AuthorityNotifiedAt { get; init; }
    public string? AuthorityReference { get; init; }
    public string? AuthorityReason { get; init; }
    public string CreatedBy { get; init; } = "";
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

/// <summary>The facts of a breach as registered or changed.</summary>
public sealed record BreachFields(
    string Title, long DiscoveredAt, long? OccurredAt, string Nature, string SubjectCategories, long? SubjectsApprox,
    string RecordCategories, long? RecordsApprox, string Consequences, string Measures, string DpoContact);

/// <summary>A notice to affected people (Article 34) with its progress.</summary>
public sealed class BreachNoticeRow
{
    public long Id { get; init; }
    public long OrgId { get; init; }
    public long BreachId { get; init; }
    public string Audience { get; init; } = "";
    public string AudienceDetail { get; init; } = "";
    public string DefaultLanguage { get; init; } = "";
    public string MessageFi { get; init; } = "";
    public string MessageEn { get; init; } = "";

    /// <summary>preparing (mails being queued) or queued (all in the outbox).</summary>
    public string Status { get; init; } = "";

    /// <summary>People chosen when the notice was made.</summary>
    public long Total { get; init; }

    /// <summary>Uploaded addresses left out because the person was erased.</summary>
    public long SkippedErased { get; init; }
    public long? LeaseUntil { get; init; }
    public string CreatedBy { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? QueuedAt { get; init; }

    /// <summary>People the notice still goes to (fewer than <see cref="Total"/> once someone was erased since).</summary>
    public long Recipients { get; init; }

    /// <summary>Mails in the outbox.</summary>
    public long Prepared { get; init; }

    /// <summary>Mails the relay took.</summary>
    public long Sent { get; init; }

    /// <summary>Mails given up.</summary>
    public long Failed { get; init; }
}

/// <summary>A person a notice goes to, with the delivery of their mail.</summary>
public sealed class BreachNoticeRecipientRow
{
    public long Id { get; init; }
    public long NoticeId { get; init; }
    public long? SubscriberId { get; init; }
    public string Email { get; init; } = "";
    public string Name { get; init; } = "";
    public string Language { get; init; } = "";
    public string? MessageId { get; init; }
    public long? SentAt { get; init; }
    public long? FailedAt { get; init; }
    public int Attempts { get; init; }
    public string? LastError { get; init; }

    /// <summary>waiting (not yet handed to the relay), sent or failed.</summary>
    public string State => SentAt is not null ? BreachNoticeStates.Sent : FailedAt is not null ? BreachNoticeStates.Failed : BreachNoticeStates.Waiting;
}

/// <summary>The delivery state of one person's notice.</summary>
public static class BreachNoticeStates
{
    public const string Waiting = "waiting";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>Every state.</summary>
    public static readonly IReadOnlyList<string> All = [Waiting, Sent, Failed];
}

/// <summary>Who a notice goes to, resolved to people when it is made.</summary>
public sealed record BreachAudience(string Kind, long[] ListIds, Segment? Segment, IReadOnlyList<(string Email, string Language)> Addresses);

/// <summary>
/// One organisation's breach register and its notices. Bound to the organisation like <see cref="OrganisationStore"/>.
/// A notice's people are fixed in the transaction that makes it; their mails are queued afterwards, in batches, by
/// <see cref="BreachNoticeQueue"/>.
/// </summary>
public sealed class BreachStore(LupaDatabase db, long orgId)
{
    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    private const string NoticeSelect = """
        SELECT n.*,
          (SELECT count(*) FROM breach_notice_recipients r WHERE r.notice_id = n.id) AS recipients,
          (SELECT count(*) FROM breach_notice_recipients r WHERE r.notice_id = n.id AND r.message_id IS NOT NULL) AS prepared,
          (SELECT count(*) FROM breach_notice_recipients r JOIN outbox o ON o.message_id = r.message_id WHERE r.notice_id = n.id AND o.sent_at IS NOT NULL) AS sent,
          (SELECT count(*) FROM breach_notice_recipients r JOIN outbox o ON o.message_id = r.message_id WHERE r.notice_id = n.id AND o.failed_at IS NOT NULL) AS failed
        FROM breach_notices n
        """;

    /// <summary>Registers a breach; returns its id.</summary>
    public async Task<long> CreateAsync(BreachFields f, string createdBy, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO breaches (org_id, title, discovered_at, occurred_at, nature, subject_categories, subjects_approx, record_categories, records_approx,
              consequences, measures, dpo_contact, created_by, created_at, updated_at)
            VALUES (@OrgId, @Title, @DiscoveredAt, @OccurredAt, @Nature, @SubjectCategories, @SubjectsApprox, @RecordCategories, @RecordsApprox,
              @Consequences, @Measures, @DpoContact, @createdBy, @now, @now)
            RETURNING id
            """,
            new
            {
                OrgId, f.Title, f.DiscoveredAt, f.OccurredAt, f.Nature, f.SubjectCategories, f.SubjectsApprox, f.RecordCategories, f.RecordsApprox,
                f.Consequences, f.Measures, f.DpoContact, createdBy, now,
            }, tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Changes the facts of a breach; false when there is none with that id.</summary>
    public async Task<bool> UpdateAsync(long id, BreachFields f, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            """
            UPDATE breaches SET title = @Title, discovered_at = @DiscoveredAt, occurred_at = @OccurredAt, nature = @Nature,
              subject_categories = @SubjectCategories, subjects_approx = @SubjectsApprox, record_categories = @RecordCategories,
              records_approx = @RecordsApprox, consequences = @Consequences, measures = @Measures, dpo_contact = @DpoContact, updated_at = @now
            WHERE org_id = @OrgId AND id = @id
            """,
            new
            {
                OrgId, id, f.Title, f.DiscoveredAt, f.OccurredAt, f.Nature, f.SubjectCategories, f.SubjectsApprox, f.RecordCategories, f.RecordsApprox,
                f.Consequences, f.Measures, f.DpoContact, now,
            }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>Records where the breach stands with the authority; false when there is no such breach.</summary>
    public async Task<bool> SetAuthorityAsync(long id, string status, long? notifiedAt, string? reference, string? reason, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            """
            UPDATE breaches SET authority_status = @status, authority_notified_at = @notifiedAt, authority_reference = @reference,
              authority_reason = @reason, updated_at = @now
            WHERE org_id = @OrgId AND id = @id
            """, new { OrgId, id, status, notifiedAt, reference, reason, now }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>A breach of this organisation, or null.</summary>
    public async Task<BreachRow?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<BreachRow>("SELECT * FROM breaches WHERE org_id = @OrgId AND id = @id", new { OrgId, id });
    }

    /// <summary>The register: those still waiting for the authority first (soonest due first), then the rest, newest first.</summary>
    public async Task<IReadOnlyList<BreachRow>> ListAsync(int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BreachRow>(
            """
            SELECT * FROM breaches WHERE org_id = @OrgId
            ORDER BY CASE WHEN authority_status = 'pending' THEN 0 ELSE 1 END,
              CASE WHEN authority_status = 'pending' THEN discovered_at ELSE -discovered_at END, id DESC
            LIMIT @limit
            """, new { OrgId, limit })).AsList();
    }

    /// <summary>
    /// Makes a notice and fixes who it goes to, in one transaction: the people the audience names as stored now (an
    /// erased person is not stored, so never chosen), or the uploaded addresses (with the stored person's name and
    /// language where Lupa holds them; an address whose owner was erased is left out and counted). Returns the notice,
    /// or null when it would reach nobody (nothing is kept then).
    /// </summary>
    public async Task<BreachNoticeRow?> CreateNoticeAsync(long breachId, BreachAudience audience, string audienceDetail, string defaultLanguage,
        string messageFi, string messageEn, string createdBy, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var c = tx.Connection;
        var t = tx.Transaction;
        var id = await c.ExecuteScalarAsync<long>(
            """
            INSERT INTO breach_notices (org_id, breach_id, audience, audience_detail, default_language, message_fi, message_en, status, total, created_by, created_at)
            VALUES (@OrgId, @breachId, @Kind, @audienceDetail, @defaultLanguage, @messageFi, @messageEn, 'preparing', 0, @createdBy, @now) RETURNING id
            """, new { OrgId, breachId, audience.Kind, audienceDetail, defaultLanguage, messageFi, messageEn, createdBy, now }, t);
        long skipped = 0;
        if (audience.Kind == BreachAudiences.Addresses)
            skipped = await InsertAddressesAsync(tx, id, audience.Addresses);
        else
        {
            var p = new DynamicParameters();
            p.Add("OrgId", OrgId);
            p.Add("id", id);
            var where = "";
            if (audience.Kind != BreachAudiences.All)
            {
                var lists = audience.ListIds.Length == 0 ? "" : $" AND s.list_id {db.InIds("lists")}";
                if (lists.Length > 0)
                    p.Add("lists", db.IdsValue(audience.ListIds));
                var segment = audience.Segment is { } seg ? " AND " + SegmentSql.Where(seg, db.Provider, p, now, "p", "s") : "";
                where = $" AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.org_id = @OrgId AND s.subscriber_id = p.id{lists}{segment})";
            }
            await c.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO breach_notice_recipients (notice_id, org_id, subscriber_id, email, name, language)
                SELECT @id, @OrgId, p.id, p.email, p.name, p.language FROM subscribers p WHERE p.org_id = @OrgId{where}
                """, p, t, commandTimeout: 600, cancellationToken: ct));
        }
        var total = await c.ExecuteScalarAsync<long>("SELECT count(*) FROM breach_notice_recipients WHERE notice_id = @id", new { id }, t);
        if (total == 0)
            return null;
        await c.ExecuteAsync("UPDATE breach_notices SET total = @total, skipped_erased = @skipped WHERE id = @id", new { id, total, skipped }, t);
        await tx.CommitAsync(ct);
        return await GetNoticeAsync(breachId, id, ct);
    }

    // Uploaded addresses: stored people get their own name and language; an address whose owner was erased (the
    // suppression list says so and nobody holds it now) is dropped. Returns how many were dropped.
    private async Task<long> InsertAddressesAsync(WriteTransaction tx, long id, IReadOnlyList<(string Email, string Language)> addresses)
    {
        var c = tx.Connection;
        var t = tx.Transaction;
        await c.ExecuteAsync(
            "INSERT INTO breach_notice_recipients (notice_id, org_id, email, language) VALUES (@id, @OrgId, @Email, @Language) ON CONFLICT (notice_id, email) DO NOTHING",
            addresses.Select(a => new { id, OrgId, a.Email, a.Language }), t);
        await c.ExecuteAsync(
            """
            UPDATE breach_notice_recipients AS r SET subscriber_id = p.id, name = p.name, language = p.language
            FROM subscribers p WHERE r.notice_id = @id AND p.org_id = @OrgId AND p.email = r.email
            """, new { id, OrgId }, t);
        var unknown = (await c.QueryAsync<(long Id, string Email)>(
            "SELECT id, email FROM breach_notice_recipients WHERE notice_id = @id AND subscriber_id IS NULL", new { id }, t)).AsList();
        if (unknown.Count == 0)
            return 0;
        var hashes = unknown.ToDictionary(u => u.Id, u => SuppressionKey.For(db.SuppressionKey, EmailAddress.Parse(u.Email).Value!));
        var erased = new HashSet<string>();
        foreach (var chunk in hashes.Values.Distinct().Chunk(500))
        {
            var set = db.IsPostgres ? (object)chunk : System.Text.Json.JsonSerializer.Serialize(chunk);
            var inSet = db.IsPostgres ? "= ANY(@set)" : "IN (SELECT value FROM json_each(@set))";
            erased.UnionWith(await c.QueryAsync<string>(
                $"SELECT address_hash FROM suppressions WHERE org_id = @OrgId AND list_id = 0 AND reason = 'erased' AND address_hash {inSet}", new { OrgId, set }, t));
        }
        var drop = hashes.Where(h => erased.Contains(h.Value)).Select(h => h.Key).ToList();
        foreach (var chunk in drop.Chunk(500))
            await c.ExecuteAsync($"DELETE FROM breach_notice_recipients WHERE notice_id = @id AND id {db.InIds("ids")}", new { id, ids = db.IdsValue(chunk) }, t);
        return drop.Count;
    }

    /// <summary>A notice of a breach with its progress, or null.</summary>
    public async Task<BreachNoticeRow?> GetNoticeAsync(long breachId, long noticeId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<BreachNoticeRow>(
            NoticeSelect + " WHERE n.org_id = @OrgId AND n.breach_id = @breachId AND n.id = @noticeId", new { OrgId, breachId, noticeId });
    }

    /// <summary>A breach's notices with their progress, newest first.</summary>
    public async Task<IReadOnlyList<BreachNoticeRow>> ListNoticesAsync(long breachId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BreachNoticeRow>(NoticeSelect + " WHERE n.org_id = @OrgId AND n.breach_id = @breachId ORDER BY n.id DESC", new { OrgId, breachId })).AsList();
    }

    /// <summary>A page of a notice's people with the delivery of each, after the id <paramref name="afterId"/>, optionally in one state.</summary>
    public async Task<IReadOnlyList<BreachNoticeRecipientRow>> ListNoticeRecipientsAsync(long noticeId, string? state, long afterId, int limit, CancellationToken ct = default)
    {
        var filter = state switch
        {
            BreachNoticeStates.Sent => " AND o.sent_at IS NOT NULL",
            BreachNoticeStates.Failed => " AND o.failed_at IS NOT NULL",
            BreachNoticeStates.Waiting => " AND o.sent_at IS NULL AND o.failed_at IS NULL",
            _ => "",
        };
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BreachNoticeRecipientRow>(
            """
            SELECT r.id, r.notice_id, r.subscriber_id, r.email, r.name, r.language, r.message_id, o.sent_at, o.failed_at, COALESCE(o.attempts, 0) AS attempts, o.last_error
            FROM breach_notice_recipients r LEFT JOIN outbox o ON o.message_id = r.message_id
            WHERE r.org_id = @OrgId AND r.notice_id = @noticeId AND r.id > @afterId
            """ + filter + " ORDER BY r.id LIMIT @limit",
            new { OrgId, noticeId, afterId, limit })).AsList();
    }
}

/// <summary>
/// Queues the mails of notices being prepared, across organisations: a node takes a notice under a lease and queues
/// its people's mails in batches, each batch one transaction with stable Message-IDs, so a crash or a second node
/// neither loses nor doubles a mail.
/// </summary>
public sealed class BreachNoticeQueue(LupaDatabase db)
{
    /// <summary>Notices whose mails are not all queued yet, oldest first.</summary>
    public async Task<IReadOnlyList<BreachNoticeRow>> PreparingAsync(long now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BreachNoticeRow>(
            "SELECT * FROM breach_notices WHERE status = 'preparing' AND (lease_until IS NULL OR lease_until < @now) ORDER BY id", new { now })).AsList();
    }

    /// <summary>Takes a notice for <paramref name="leaseMs"/>, or extends this node's lease; false when another node holds it.</summary>
    public async Task<bool> LeaseAsync(long noticeId, long? heldUntil, long now, long leaseMs, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            """
            UPDATE breach_notices SET lease_until = @until
            WHERE id = @noticeId AND status = 'preparing' AND (lease_until IS NULL OR lease_until < @now OR lease_until = @heldUntil)
            """, new { noticeId, until = now + leaseMs, now, heldUntil }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>People of a notice whose mail is not queued yet.</summary>
    public async Task<IReadOnlyList<BreachNoticeRecipientRow>> UnqueuedAsync(long noticeId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<BreachNoticeRecipientRow>(
            "SELECT id, notice_id, subscriber_id, email, name, language FROM breach_notice_recipients WHERE notice_id = @noticeId AND message_id IS NULL ORDER BY id LIMIT @limit",
            new { noticeId, limit })).AsList();
    }

    /// <summary>Queues a batch of mails (a Message-ID already queued is not queued again) and marks their people.</summary>
    public async Task QueueAsync(long orgId, IReadOnlyList<(long RecipientId, OutboxMessage Mail)> mails, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        foreach (var (recipientId, mail) in mails)
        {
            // Only while the person is still there: an erasure since they were read removed them, and their mail must
            // not be queued. The row is locked first, so an erasure running now waits and then removes the mail too.
            var marked = await tx.Connection.ExecuteAsync("UPDATE breach_notice_recipients SET message_id = @MessageId WHERE id = @recipientId AND message_id IS NULL",
                new { mail.MessageId, recipientId }, tx.Transaction);
            if (marked > 0)
                await OutboxStore.InsertAsync(tx, orgId, mail, now, once: true);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Marks a notice whose mails are all queued.</summary>
    public async Task FinishAsync(long noticeId, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            """
            UPDATE breach_notices SET status = 'queued', queued_at = @now, lease_until = NULL
            WHERE id = @noticeId AND status = 'preparing' AND NOT EXISTS (SELECT 1 FROM breach_notice_recipients r WHERE r.notice_id = @noticeId AND r.message_id IS NULL)
            """, new { noticeId, now }, tx.Transaction);
        await tx.CommitAsync(ct);
    }
}
