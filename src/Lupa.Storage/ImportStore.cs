using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lupa.Domain;
using Lupa.Domain.Imports;

namespace Lupa.Storage;

/// <summary>Import job statuses.</summary>
public static class ImportStatuses
{
    /// <summary>Waiting for a worker: the purchased-list check runs first.</summary>
    public const string Queued = "queued";

    /// <summary>The check found risk: waiting for the operator.</summary>
    public const string Held = "held";

    /// <summary>Passed the check (or approved): rows are being applied.</summary>
    public const string Running = "running";

    /// <summary>Every row has its outcome.</summary>
    public const string Done = "done";

    /// <summary>The operator rejected it; nothing was applied.</summary>
    public const string Rejected = "rejected";

    /// <summary>The whole file was unusable; nothing was applied.</summary>
    public const string Failed = "failed";
}

/// <summary>A batch's report text and the import's progress after it; <see cref="Seq"/> numbers the chunk.</summary>
public sealed record BatchReport(int Seq, string Body, long ProcessedRows, string Counts);

/// <summary>What one row asks of the database.</summary>
public sealed record ImportRowToApply(ImportRow Row, long[] ListIds, string Language);

/// <summary>The import jobs and the batch apply path.</summary>
public sealed class ImportStore(LupaDatabase db)
{
    private const string Columns = "*";

    // Waiting, or running under a lease that ran out (its worker died).
    private const string Claimable = "status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < @now)";

    /// <summary>Creates an import job.</summary>
    public async Task<long> CreateAsync(ImportJobRow j, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var id = await tx.Connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO imports (org_id, list_ids, file_name, file_path, file_bytes, file_sha256, mapping, update_mode, no_evidence_policy,
              attestation, attested_by, attested_at, status, created_at)
            VALUES (@OrgId, @ListIds, @FileName, @FilePath, @FileBytes, @FileSha256, @Mapping, @UpdateMode, @NoEvidencePolicy,
              @Attestation, @AttestedBy, @AttestedAt, @Status, @CreatedAt)
            RETURNING id
            """, j, tx.Transaction);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>One import of an organisation, or null.</summary>
    public async Task<ImportJobRow?> GetAsync(long orgId, long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ImportJobRow>($"SELECT {Columns} FROM imports WHERE org_id = @orgId AND id = @id", new { orgId, id });
    }

    /// <summary>An import by id, for the operator and the worker.</summary>
    public async Task<ImportJobRow?> GetAnyAsync(long id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<ImportJobRow>($"SELECT {Columns} FROM imports WHERE id = @id", new { id });
    }

    /// <summary>An organisation's imports, newest first.</summary>
    public async Task<IReadOnlyList<ImportJobRow>> ListAsync(long orgId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ImportJobRow>($"SELECT {Columns} FROM imports WHERE org_id = @orgId ORDER BY id DESC LIMIT @limit", new { orgId, limit })).AsList();
    }

    /// <summary>Imports in a status across all organisations (the operator's review queue).</summary>
    public async Task<IReadOnlyList<ImportJobRow>> ListByStatusAsync(string status, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ImportJobRow>($"SELECT {Columns} FROM imports WHERE status = @status ORDER BY id", new { status })).AsList();
    }

    /// <summary>Claims an import that is waiting or whose worker died, under a lease. Null when none.</summary>
    public async Task<ImportJobRow?> ClaimNextAsync(long now, long leaseMs, long? onlyId = null, CancellationToken ct = default)
    {
        await using (var c = await db.OpenAsync(ct))
        {
            var any = await c.ExecuteScalarAsync<long?>(
                "SELECT id FROM imports WHERE " + Claimable + " LIMIT 1", new { now });
            if (any is null)
                return null;
        }
        await using var tx = await db.BeginWriteAsync(ct);
        var lockClause = db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "";
        var row = await tx.Connection.QuerySingleOrDefaultAsync<ImportJobRow>(
            $"SELECT {Columns} FROM imports WHERE {Claimable}" +
            (onlyId is null ? "" : " AND id = @onlyId") + " ORDER BY id LIMIT 1" + lockClause,
            new { now, onlyId }, tx.Transaction);
        if (row is null)
            return null;
        await tx.Connection.ExecuteAsync("UPDATE imports SET lease_until = @until, started_at = coalesce(started_at, @now) WHERE id = @Id",
            new { until = now + leaseMs, now, row.Id }, tx.Transaction);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>Extends the lease of an import being worked on.</summary>
    public async Task RenewLeaseAsync(long id, long until, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE imports SET lease_until = @until WHERE id = @id", new { id, until }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>Records the purchased-list check: held for review, or running.</summary>
    public async Task SetCheckedAsync(long id, string status, long totalRows, string encoding, string risk, string? heldReasons, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            "UPDATE imports SET status = @status, total_rows = @totalRows, encoding = @encoding, risk = @risk, held_reasons = @heldReasons, lease_until = NULL WHERE id = @id",
            new { id, status, totalRows, encoding, risk, heldReasons }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>Ends an import.</summary>
    public async Task FinishAsync(long id, string status, string? error, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync("UPDATE imports SET status = @status, error = @error, finished_at = @now, lease_until = NULL WHERE id = @id",
            new { id, status, error, now }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>The operator's decision on a held import. Returns false when it is not held.</summary>
    public async Task<bool> ReviewAsync(long id, bool approve, string note, string by, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        var n = await tx.Connection.ExecuteAsync(
            "UPDATE imports SET status = @status, review_note = @note, reviewed_by = @by, reviewed_at = @now, finished_at = CASE WHEN @approve THEN NULL ELSE @now END WHERE id = @id AND status = 'held'",
            new { id, status = approve ? ImportStatuses.Running : ImportStatuses.Rejected, note, by, now, approve }, tx.Transaction);
        await tx.CommitAsync(ct);
        return n > 0;
    }

    /// <summary>The organisation's suppression entries: address hash and list (0 for all lists) to reason.</summary>
    public async Task<Dictionary<(string Hash, long ListId), string>> LoadSuppressionsAsync(long orgId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string Hash, long ListId, string Reason)>(
            "SELECT address_hash, list_id, reason FROM suppressions WHERE org_id = @orgId", new { orgId });
        var map = new Dictionary<(string, long), string>();
        foreach (var (h, l, r) in rows)
            map[(h, l)] = r;
        return map;
    }

    /// <summary>
    /// Applies a batch of rows in one transaction together with the import's progress, so a crash
    /// leaves either the whole batch and its progress, or neither: never half a row, never a row twice.
    /// Returns the outcome of each row in <paramref name="rows"/>.
    /// </summary>
    public async Task<IReadOnlyList<(string Outcome, string Reason)>> ApplyBatchAsync(
        ImportJobRow job, IReadOnlyList<ImportRowToApply> rows, Func<long, long, ImportRow, OutboxMessage>? repermissionMail,
        Func<IReadOnlyList<(string Outcome, string Reason)>, BatchReport> report, long now, CancellationToken ct = default)
    {
        var results = new (string Outcome, string Reason)[rows.Count];
        await using var tx = await db.BeginWriteAsync(ct);
        using var cmd = new ImportCommands(tx, job.OrgId);
        var bulk = new ImportBulk(tx, db.IsPostgres, job.OrgId, now);
        var actor = $"import:{job.Id} by {job.AttestedBy}";

        // Read what exists for the whole batch in two statements.
        var existing = await bulk.FindSubscribersAsync(rows.Select(r => r.Row.Address.Value));
        var statuses = await bulk.FindStatusesAsync(existing.Values.Select(e => e.Id));

        // Decide each row; collect the writes.
        var newSubscribers = new List<(string Email, string Name, string Language, string Attributes)>();
        var newSubscriptions = new List<(int Row, string Email, long SubscriberId, long ListId, string Status)>();
        var consents = new List<(int Row, string Email, long SubscriberId, long ListId)>();
        var isNew = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var row = r.Row;
            var found = existing.TryGetValue(row.Address.Value, out var e);
            if (row.Basis == ImportBasis.None && job.NoEvidencePolicy == NoEvidencePolicies.Refuse)
            {
                results[i] = (ImportOutcomes.RefusedNoEvidence, found ? "no evidence of consent (the existing subscriber was left unchanged)" : "no evidence of consent, and the organisation refuses such rows");
                continue;
            }
            // A restricted person (GDPR Article 18) is only stored: an import changes nothing about them.
            if (found && e.Restricted)
            {
                results[i] = (ImportOutcomes.Existing, "restricted (GDPR Article 18): left unchanged");
                continue;
            }
            var rowStatuses = r.ListIds.Select(l => (List: l, Status: found ? statuses.GetValueOrDefault((e.Id, l)) : null)).ToList();
            // A person who unsubscribed from every target list is not brought back by an import.
            if (rowStatuses.All(x => x.Status == SubscriptionStatuses.Unsubscribed))
            {
                results[i] = (ImportOutcomes.SkippedSuppressed, SuppressionReasons.Unsubscribed);
                continue;
            }
            if (!found)
            {
                isNew[i] = true;
                newSubscribers.Add((row.Address.Value, row.Name, r.Language, JsonSerializer.Serialize(row.Attributes)));
            }
            else
            {
                var (name, attributes) = Merge(e.Name, e.Attributes, row, job.UpdateMode == "update");
                if (name != e.Name || attributes != e.Attributes)
                    await cmd.UpdateSubscriberAsync(e.Id, name, attributes, now, ct);
            }
            foreach (var (listId, status) in rowStatuses)
            {
                if (status == SubscriptionStatuses.Unsubscribed)
                    continue;
                if (row.Basis == ImportBasis.None)
                {
                    if (status is null)
                        newSubscriptions.Add((i, row.Address.Value, found ? e.Id : 0, listId, SubscriptionStatuses.Pending));
                    continue;
                }
                if (status is null)
                    newSubscriptions.Add((i, row.Address.Value, found ? e.Id : 0, listId, SubscriptionStatuses.Confirmed));
                else if (status != SubscriptionStatuses.Confirmed)
                    await cmd.ConfirmSubscriptionAsync(e.Id, listId, now, ct);
                if (found)
                    await cmd.InsertConsentOnceAsync(e.Id, listId, row, job.Id, actor, now, ct);
                else
                    consents.Add((i, row.Address.Value, 0, listId));
            }
            results[i] = found ? (ImportOutcomes.Existing, job.UpdateMode == "update"
                    ? "already a subscriber: attributes updated, consent history appended"
                    : "already a subscriber: attributes kept, consent history appended")
                : row.Basis == ImportBasis.Evidence ? (ImportOutcomes.Confirmed, "evidence of consent: " + row.Method)
                : row.Basis == ImportBasis.Customer ? (ImportOutcomes.ConfirmedCustomer, "existing customer (soft opt-in)")
                : (ImportOutcomes.PendingRepermission, "no evidence: pending");
        }

        // Write new subscribers, their subscriptions and their grants in three statements.
        var ids = await bulk.InsertSubscribersAsync(newSubscribers);
        var created = await bulk.InsertSubscriptionsAsync(newSubscriptions.Select(x => (x.SubscriberId != 0 ? x.SubscriberId : ids[x.Email], x.ListId, x.Status)));
        await bulk.InsertConsentsAsync(consents.Select(c => (ids[c.Email], c.ListId, rows[c.Row].Row)), job.Id, actor);
        foreach (var x in newSubscriptions.Where(x => x.Status == SubscriptionStatuses.Pending))
        {
            if (repermissionMail is null)
                continue;
            var subscriptionId = created[(x.SubscriberId != 0 ? x.SubscriberId : ids[x.Email], x.ListId)];
            var mail = repermissionMail(subscriptionId, now, rows[x.Row].Row);
            await cmd.EnqueueAsync(mail, mail.DueAt ?? now, ct);
            results[x.Row] = (results[x.Row].Outcome, results[x.Row].Outcome == ImportOutcomes.PendingRepermission ? "no evidence: re-permission mail queued" : results[x.Row].Reason);
        }
        var chunk = report(results);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO import_report_chunks (import_id, seq, body) VALUES (@Id, @Seq, @Body)",
            new { job.Id, chunk.Seq, chunk.Body }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            "UPDATE imports SET processed_rows = @ProcessedRows, report_bytes = @Seq, counts = @Counts, status = 'running', lease_until = @until WHERE id = @Id",
            new { chunk.ProcessedRows, chunk.Seq, chunk.Counts, job.Id, until = now + 120_000 }, tx.Transaction);
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>The report's chunks in order.</summary>
    public async IAsyncEnumerable<string> ReadReportAsync(long orgId, long importId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var seq = -1;
        while (true)
        {
            var next = await c.QueryFirstOrDefaultAsync<(int Seq, string Body)?>(
                "SELECT r.seq, r.body FROM import_report_chunks r JOIN imports i ON i.id = r.import_id WHERE i.org_id = @orgId AND r.import_id = @importId AND r.seq > @seq ORDER BY r.seq LIMIT 1",
                new { orgId, importId, seq });
            if (next is null)
                yield break;
            seq = next.Value.Seq;
            yield return next.Value.Body;
        }
    }

    private static (string Name, string Attributes) Merge(string oldName, string oldAttributes, ImportRow row, bool update)
    {
        var attrs = JsonSerializer.Deserialize<Dictionary<string, string>>(oldAttributes) ?? [];
        var changed = false;
        foreach (var (k, v) in row.Attributes)
        {
            if (update || !attrs.ContainsKey(k))
            {
                if (!attrs.TryGetValue(k, out var old) || old != v)
                {
                    attrs[k] = v;
                    changed = true;
                }
            }
        }
        var name = row.Name.Length > 0 && (update || oldName.Length == 0) ? row.Name : oldName;
        return (name, changed ? JsonSerializer.Serialize(attrs) : oldAttributes);
    }
}

/// <summary>Prepared commands for the rows that need a statement of their own (existing subscribers, re-permission mail), reused for a whole batch.</summary>
internal sealed class ImportCommands(WriteTransaction tx, long orgId) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = [];

    private DbCommand Command(string sql, params string[] parameters)
    {
        if (_commands.TryGetValue(sql, out var cmd))
            return cmd;
        cmd = tx.Connection.CreateCommand();
        cmd.Transaction = tx.Transaction;
        cmd.CommandText = sql;
        foreach (var p in parameters)
        {
            var parameter = cmd.CreateParameter();
            parameter.ParameterName = p;
            cmd.Parameters.Add(parameter);
        }
        _commands[sql] = cmd;
        return cmd;
    }

    private static DbCommand Bind(DbCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var p = cmd.Parameters[i];
            p.Value = values[i] ?? DBNull.Value;
            // PostgreSQL cannot infer the type of an untyped null; every nullable parameter here is text.
            if (values[i] is null)
                p.DbType = System.Data.DbType.String;
        }
        return cmd;
    }

    public Task UpdateSubscriberAsync(long id, string name, string attributes, long now, CancellationToken ct) =>
        Bind(Command("UPDATE subscribers SET name = @name, attributes = @attributes, updated_at = @now WHERE org_id = @org AND id = @id", "name", "attributes", "now", "org", "id"),
            name, attributes, now, orgId, id).ExecuteNonQueryAsync(ct);

    public Task ConfirmSubscriptionAsync(long subscriberId, long listId, long now, CancellationToken ct) =>
        Bind(Command("UPDATE subscriptions SET status = 'confirmed', confirmed_at = @now, request_at = NULL WHERE org_id = @org AND subscriber_id = @sid AND list_id = @list", "now", "org", "sid", "list"),
            now, orgId, subscriberId, listId).ExecuteNonQueryAsync(ct);

    /// <summary>Appends the import's grant unless the same evidence is already recorded (importing a file twice changes nothing).</summary>
    public Task InsertConsentOnceAsync(long subscriberId, long listId, ImportRow row, long importId, string actor, long now, CancellationToken ct)
    {
        var occurredAt = (row.Basis == ImportBasis.Customer ? row.CustomerSince : row.ConsentAt)!.Value.ToUnixTimeMilliseconds();
        var evidenceMethod = row.Basis == ImportBasis.Customer ? "customer" : row.Method;
        var basis = row.Basis == ImportBasis.Customer ? LegalBases.Customer : LegalBases.Consent;
        var text = row.Text;
        var hash = text is null ? null : ConsentWording.Hash(text);
        return Bind(Command(
            """
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, ip, source, wording_text, wording_hash,
              evidence_method, legal_basis, import_id, actor, recorded_at)
            SELECT @org, @sid, @list, 'grant', 'import', @at, @ip, @source, @text, @hash, @evidence, @basis, @import, @actor, @now
            WHERE NOT EXISTS (SELECT 1 FROM consent_records WHERE subscriber_id = @sid AND list_id = @list AND method = 'import'
              AND occurred_at = @at AND evidence_method = @evidence AND coalesce(source, '') = coalesce(@source, ''))
            """,
            "org", "sid", "list", "at", "ip", "source", "text", "hash", "evidence", "basis", "import", "actor", "now"),
            orgId, subscriberId, listId, occurredAt, row.Ip, row.Source, text, hash, evidenceMethod, basis, importId, actor, now).ExecuteNonQueryAsync(ct);
    }


    public Task EnqueueAsync(OutboxMessage m, long dueAt, CancellationToken ct) =>
        Bind(Command(
            "INSERT INTO outbox (org_id, purpose, message_id, mail_from, rcpt_to, mime, created_at, due_at) VALUES (@org, @purpose, @mid, @from, @to, @mime, @now, @due)",
            "org", "purpose", "mid", "from", "to", "mime", "now", "due"), orgId, m.Purpose, m.MessageId, m.MailFrom, m.RcptTo, m.Mime, dueAt, dueAt).ExecuteNonQueryAsync(ct);

    public void Dispose()
    {
        foreach (var c in _commands.Values)
            c.Dispose();
    }
}

/// <summary>
/// The set-based half of the import path: each statement handles a whole batch, passed as one JSON
/// array (json_each on SQLite, json_to_recordset on PostgreSQL), so a batch costs a handful of
/// statements instead of several per row.
/// </summary>
internal sealed class ImportBulk(WriteTransaction tx, bool postgres, long orgId, long now)
{
    // Used as IN (SELECT …) for look-ups, so both planners probe the unique indexes instead of scanning.
    private string Rows(string parameter, string columns)
    {
        if (postgres)
            return $"json_to_recordset(CAST(@{parameter} AS json)) AS x({columns})";
        var names = columns.Split(',').Select(c => c.Trim().Split(' ')[0]);
        return $"(SELECT {string.Join(", ", names.Select(n => $"value ->> '$.{n}' AS {n}"))} FROM json_each(@{parameter})) AS x";
    }

    private static string Json<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var item in items)
            {
                w.WriteStartObject();
                write(w, item);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public async Task<Dictionary<string, (long Id, string Name, string Attributes, bool Restricted)>> FindSubscribersAsync(IEnumerable<string> emails)
    {
        var json = Json(emails, (w, e) => w.WriteString("e", e));
        var rows = await tx.Connection.QueryAsync<(long Id, string Email, string Name, string Attributes, long? RestrictedAt)>(
            $"SELECT s.id, s.email, s.name, s.attributes, s.restricted_at FROM subscribers s WHERE s.org_id = @orgId AND s.email IN (SELECT x.e FROM {Rows("emails", "e text")})",
            new { orgId, emails = json }, tx.Transaction);
        return rows.ToDictionary(r => r.Email, r => (r.Id, r.Name, r.Attributes, r.RestrictedAt is not null));
    }

    public async Task<Dictionary<(long SubscriberId, long ListId), string>> FindStatusesAsync(IEnumerable<long> subscriberIds)
    {
        var list = subscriberIds.ToList();
        if (list.Count == 0)
            return [];
        var json = Json(list, (w, id) => w.WriteNumber("i", id));
        var rows = await tx.Connection.QueryAsync<(long SubscriberId, long ListId, string Status)>(
            $"SELECT s.subscriber_id, s.list_id, s.status FROM subscriptions s WHERE s.org_id = @orgId AND s.subscriber_id IN (SELECT x.i FROM {Rows("ids", "i bigint")})",
            new { orgId, ids = json }, tx.Transaction);
        return rows.ToDictionary(r => (r.SubscriberId, r.ListId), r => r.Status);
    }

    public async Task<Dictionary<string, long>> InsertSubscribersAsync(List<(string Email, string Name, string Language, string Attributes)> subscribers)
    {
        if (subscribers.Count == 0)
            return [];
        var json = Json(subscribers, (w, s) =>
        {
            w.WriteString("e", s.Email);
            w.WriteString("n", s.Name);
            w.WriteString("l", s.Language);
            w.WriteString("a", s.Attributes);
        });
        var rows = await tx.Connection.QueryAsync<(long Id, string Email)>(
            $"INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at) SELECT @orgId, x.e, x.n, x.l, x.a, @now, @now FROM {Rows("rows", "e text, n text, l text, a text")} RETURNING id, email",
            new { orgId, now, rows = json }, tx.Transaction);
        return rows.ToDictionary(r => r.Email, r => r.Id);
    }

    public async Task<Dictionary<(long SubscriberId, long ListId), long>> InsertSubscriptionsAsync(IEnumerable<(long SubscriberId, long ListId, string Status)> subscriptions)
    {
        var list = subscriptions.ToList();
        if (list.Count == 0)
            return [];
        var json = Json(list, (w, s) =>
        {
            w.WriteNumber("s", s.SubscriberId);
            w.WriteNumber("l", s.ListId);
            w.WriteString("t", s.Status);
        });
        var rows = await tx.Connection.QueryAsync<(long Id, long SubscriberId, long ListId)>(
            $"""
            INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at, confirmation_sent_at, request_at)
            SELECT @orgId, x.s, x.l, x.t, @now,
              CASE WHEN x.t = 'confirmed' THEN @now ELSE NULL END, CASE WHEN x.t = 'pending' THEN @now ELSE NULL END, CASE WHEN x.t = 'pending' THEN @now ELSE NULL END
            FROM {Rows("rows", "s bigint, l bigint, t text")}
            RETURNING id, subscriber_id, list_id
            """,
            new { orgId, now, rows = json }, tx.Transaction);
        return rows.ToDictionary(r => (r.SubscriberId, r.ListId), r => r.Id);
    }

    public async Task InsertConsentsAsync(IEnumerable<(long SubscriberId, long ListId, ImportRow Row)> consents, long importId, string actor)
    {
        var list = consents.ToList();
        if (list.Count == 0)
            return;
        var json = Json(list, (w, c) =>
        {
            var row = c.Row;
            var customer = row.Basis == ImportBasis.Customer;
            w.WriteNumber("s", c.SubscriberId);
            w.WriteNumber("l", c.ListId);
            w.WriteNumber("t", (customer ? row.CustomerSince : row.ConsentAt)!.Value.ToUnixTimeMilliseconds());
            w.WriteString("ip", row.Ip);
            w.WriteString("src", row.Source);
            w.WriteString("tx", row.Text);
            w.WriteString("h", row.Text is null ? null : ConsentWording.Hash(row.Text));
            w.WriteString("em", customer ? "customer" : row.Method);
            w.WriteString("lb", customer ? LegalBases.Customer : LegalBases.Consent);
        });
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, ip, source, wording_text, wording_hash,
              evidence_method, legal_basis, import_id, actor, recorded_at)
            SELECT @orgId, x.s, x.l, 'grant', 'import', x.t, x.ip, x.src, x.tx, x.h, x.em, x.lb, @importId, @actor, @now
            FROM {Rows("rows", "s bigint, l bigint, t bigint, ip text, src text, tx text, h text, em text, lb text")}
            """,
            new { orgId, now, importId, actor, rows = json }, tx.Transaction);
    }
}
