using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Dapper;
using Lupa.Domain;
using Lupa.Domain.Imports;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

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
    /// <remarks>
    /// A held import gives up its lease (whoever approves it lets any node run it); one that passed keeps it until
    /// <paramref name="leaseUntil"/>, since the node that checked it goes on to apply it.
    /// </remarks>
    public async Task SetCheckedAsync(long id, string status, long totalRows, string encoding, string risk, string? heldReasons, long? leaseUntil, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        await tx.Connection.ExecuteAsync(
            "UPDATE imports SET status = @status, total_rows = @totalRows, encoding = @encoding, risk = @risk, held_reasons = @heldReasons, lease_until = @leaseUntil WHERE id = @id",
            new { id, status, totalRows, encoding, risk, heldReasons, leaseUntil }, tx.Transaction);
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
        var map = new Dictionary<(string, long), string>();
        await AddSuppressionsSinceAsync(map, orgId, null, ct);
        return map;
    }

    /// <summary>
    /// Adds to <paramref name="map"/> the organisation's suppression entries created at or after <paramref name="since"/>
    /// (all of them when null): a long import picks up the people erased or unsubscribed while it runs.
    /// </summary>
    public async Task AddSuppressionsSinceAsync(Dictionary<(string Hash, long ListId), string> map, long orgId, long? since, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string Hash, long ListId, string Reason)>(new CommandDefinition(
            since is null
                ? "SELECT address_hash, list_id, reason FROM suppressions WHERE org_id = @orgId"
                : "SELECT address_hash, list_id, reason FROM suppressions WHERE org_id = @orgId AND created_at >= @since",
            new { orgId, since }, cancellationToken: ct));
        foreach (var (h, l, r) in rows)
            map[(h, l)] = r;
    }

    /// <summary>
    /// Applies a batch of rows in one transaction together with the import's progress, so a crash
    /// leaves either the whole batch and its progress, or neither: never half a row, never a row twice.
    /// Returns the outcome of each row in <paramref name="rows"/>.
    /// </summary>
    public async Task<IReadOnlyList<(string Outcome, string Reason)>> ApplyBatchAsync(
        ImportJobRow job, IReadOnlyList<ImportRowToApply> rows, Func<long, long, ImportRow, OutboxMessage>? repermissionMail,
        Task previousBatch, Func<IReadOnlyList<(string Outcome, string Reason)>, BatchReport> report, long now, CancellationToken ct = default)
    {
        var results = new (string Outcome, string Reason)[rows.Count];
        await using var tx = await db.BeginWriteAsync(ct);
        using var cmd = new ImportCommands(tx, job.OrgId);
        var bulk = new ImportBulk(tx, db.IsPostgres, job.OrgId, now);
        var actor = $"import:{job.Id} by {job.AttestedBy}";

        // A row whose address is new becomes a subscriber unless it has no evidence and the organisation refuses such
        // rows: those rows are inserted unless the address exists. On SQLite the insert goes first (one pass over the
        // unique index, no look-up); on PostgreSQL the batch's people already stored are looked up first and only the
        // others are inserted, with COPY.
        var refuseBare = job.NoEvidencePolicy == NoEvidencePolicies.Refuse;
        var candidates = new List<(string Email, string Name, string Language, string Attributes)>(rows.Count);
        foreach (var r in rows)
        {
            if (!(r.Row.Basis == ImportBasis.None && refuseBare))
                candidates.Add((r.Row.Address.Value, r.Row.Name, r.Language, AttributesJson(r.Row.Attributes)));
        }
        var existing = db.IsPostgres
            ? await bulk.FindSubscribersAsync(rows.Select(r => r.Row.Address.Value).ToList())
            : new Dictionary<string, (long Id, string Name, string Attributes, bool Restricted)>();
        var ids = await bulk.InsertSubscribersIfAbsentAsync(existing.Count == 0 ? candidates : candidates.Where(c => !existing.ContainsKey(c.Email)).ToList(), ct);
        // The rows not inserted and not yet read (on SQLite those that met an existing address and the refused ones; on
        // PostgreSQL only addresses another writer added since the look-up) are read in one more statement.
        foreach (var (email, person) in await bulk.FindSubscribersAsync(rows.Select(r => r.Row.Address.Value).Where(a => !ids.ContainsKey(a) && !existing.ContainsKey(a)).ToList()))
            existing[email] = person;
        var statuses = await bulk.FindStatusesAsync(existing.Values.Select(e => e.Id));

        // Decide each row; collect the writes.
        var newSubscriptions = new List<(int Row, string Email, long SubscriberId, long ListId, string Status)>();
        var consents = new List<(int Row, string Email, long SubscriberId, long ListId)>();
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
                // Inserted above, unless it was deleted by someone else between that insert's conflict and the look-up.
                if (!ids.ContainsKey(row.Address.Value))
                    throw new InvalidOperationException("a subscriber was deleted while the import batch was applied; the batch is applied again when the import resumes");
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
                else if (status != SubscriptionStatuses.Confirmed && !await cmd.ConfirmSubscriptionAsync(e.Id, listId, now, ct))
                    continue;
                if (found)
                    await cmd.InsertConsentOnceAsync(e.Id, listId, row, job.Id, actor, now, ct);
                else
                    consents.Add((i, row.Address.Value, 0, listId));
            }
            results[i] = found ? (ImportOutcomes.Existing, job.UpdateMode == "update"
                    ? "already a subscriber: attributes updated, consent history appended"
                    : "already a subscriber: attributes kept, consent history appended")
                : row.Basis == ImportBasis.Evidence ? (ImportOutcomes.Confirmed, EvidenceReason(row.Method!))
                : row.Basis == ImportBasis.Customer ? (ImportOutcomes.ConfirmedCustomer, "existing customer (soft opt-in)")
                : (ImportOutcomes.PendingRepermission, "no evidence: pending");
        }

        // Write new subscribers, their subscriptions and their grants: binary COPY on PostgreSQL, prepared statements on SQLite.
        var created = await bulk.InsertSubscriptionsAsync(newSubscriptions.Select(x => (x.SubscriberId != 0 ? x.SubscriberId : ids[x.Email], x.ListId, x.Status)).ToList(), ct);
        await bulk.InsertConsentsAsync(consents.Select(c => (ids[c.Email], c.ListId, rows[c.Row].Row)).ToList(), job.Id, actor, ct);
        for (var k = 0; k < newSubscriptions.Count; k++)
        {
            var x = newSubscriptions[k];
            if (repermissionMail is null || x.Status != SubscriptionStatuses.Pending)
                continue;
            var subscriptionId = created[k];
            var mail = repermissionMail(subscriptionId, now, rows[x.Row].Row);
            await cmd.EnqueueAsync(mail, mail.DueAt ?? now, ct);
            results[x.Row] = (results[x.Row].Outcome, results[x.Row].Outcome == ImportOutcomes.PendingRepermission ? "no evidence: re-permission mail queued" : results[x.Row].Reason);
        }
        // The batch before (on another connection) commits first: the progress only ever covers a prefix of the file.
        await previousBatch;
        var chunk = report(results);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO import_report_chunks (import_id, seq, body) VALUES (@Id, @Seq, @Body)",
            new { job.Id, chunk.Seq, chunk.Body }, tx.Transaction);
        await tx.Connection.ExecuteAsync(
            "UPDATE imports SET processed_rows = @ProcessedRows, counts = @Counts, status = 'running', lease_until = @until WHERE id = @Id",
            new { chunk.ProcessedRows, chunk.Counts, job.Id, until = now + 120_000 }, tx.Transaction);
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>The due time of the organisation's last confirmation mail still waiting for a time after <paramref name="now"/>, if any.</summary>
    public async Task<long?> LastPacedConfirmationAsync(long orgId, long now, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT max(due_at) FROM outbox WHERE org_id = @orgId AND purpose = 'confirmation' AND sent_at IS NULL AND failed_at IS NULL AND due_at > @now",
            new { orgId, now }, cancellationToken: ct));
    }

    /// <summary>
    /// The number of the import's next report chunk: each chunk commits with its batch, so after a restart this
    /// follows the last batch that committed (a file with no rows has a chunk, the header, and no processed rows).
    /// </summary>
    public async Task<int> NextReportSeqAsync(long importId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT coalesce(max(seq) + 1, 0) FROM import_report_chunks WHERE import_id = @importId", new { importId }, cancellationToken: ct));
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

    // One string per consent method, not one per row.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> EvidenceReasons = new();

    private static string EvidenceReason(string method) =>
        EvidenceReasons.Count < 64 ? EvidenceReasons.GetOrAdd(method, m => "evidence of consent: " + m) : "evidence of consent: " + method;

    // Most rows carry no attributes or a few: written without the serializer's dictionary machinery.
    private static string AttributesJson(IReadOnlyDictionary<string, string> attributes)
    {
        if (attributes.Count == 0)
            return "{}";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (k, v) in attributes)
                w.WriteString(k, v);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
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

    /// <summary>Confirms a pending subscription; false when it is no longer pending or confirmed (the person unsubscribed meanwhile).</summary>
    public async Task<bool> ConfirmSubscriptionAsync(long subscriberId, long listId, long now, CancellationToken ct) =>
        await Bind(Command("UPDATE subscriptions SET status = 'confirmed', confirmed_at = @now, request_at = NULL WHERE org_id = @org AND subscriber_id = @sid AND list_id = @list AND status <> 'unsubscribed'", "now", "org", "sid", "list"),
            now, orgId, subscriberId, listId).ExecuteNonQueryAsync(ct) > 0;

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
/// The bulk half of the import path. On PostgreSQL the batch's addresses already taken are looked up
/// in one statement, and new subscribers, their subscriptions and grants go in with binary COPY (ids
/// reserved from the sequences first; should another writer take one of the addresses meanwhile, the
/// subscribers go in again with one insert-if-absent statement); on SQLite each table gets one
/// statement prepared for the batch and run per row through SQLite's own interface. Look-ups of
/// existing people take one statement a batch.
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

    public async Task<Dictionary<string, (long Id, string Name, string Attributes, bool Restricted)>> FindSubscribersAsync(IReadOnlyCollection<string> emails)
    {
        if (emails.Count == 0)
            return [];
        // A text array on PostgreSQL; on SQLite a JSON array of strings, whose json_each values are the strings themselves.
        var list = emails.ToArray();
        object value = postgres ? list : JsonSerializer.Serialize(list);
        var set = postgres ? "SELECT unnest(@emails)" : "SELECT value FROM json_each(@emails)";
        var rows = await tx.Connection.QueryAsync<(long Id, string Email, string Name, string Attributes, long? RestrictedAt)>(
            $"SELECT s.id, s.email, s.name, s.attributes, s.restricted_at FROM subscribers s WHERE s.org_id = @orgId AND s.email IN ({set})",
            new { orgId, emails = value }, tx.Transaction);
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

    /// <summary>
    /// Inserts the subscribers whose address is not yet taken; returns the id of each one inserted by address. On
    /// PostgreSQL the caller has left out the addresses it found taken.
    /// </summary>
    public async Task<Dictionary<string, long>> InsertSubscribersIfAbsentAsync(List<(string Email, string Name, string Language, string Attributes)> subscribers, CancellationToken ct)
    {
        var ids = new Dictionary<string, long>(subscribers.Count);
        if (subscribers.Count == 0)
            return ids;
        if (postgres)
        {
            // The caller looked up the addresses already taken: these go in with binary COPY under ids reserved from the
            // sequence, since the insert-if-absent path (one speculative insertion a row) costs the server far more.
            var reserved = await ReserveIdsAsync("subscribers", subscribers.Count, ct);
            var npgsqlTx = (NpgsqlTransaction)tx.Transaction;
            await npgsqlTx.SaveAsync("subscribers_copy", ct);
            try
            {
                await using (var copy = await Npgsql.BeginBinaryImportAsync(
                    "COPY subscribers (id, org_id, email, name, language, attributes, created_at, updated_at) FROM STDIN (FORMAT BINARY)", ct))
                {
                    CopySubscribers(copy, subscribers, reserved, orgId, now);
                    await copy.CompleteAsync(ct);
                }
                await npgsqlTx.ReleaseAsync("subscribers_copy", ct);
                for (var i = 0; i < subscribers.Count; i++)
                    ids[subscribers[i].Email] = reserved[i];
                return ids;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Someone else (a sign-up form, another import) added one of these addresses since the look-up.
                await npgsqlTx.RollbackAsync("subscribers_copy", ct);
            }
            await using var cmd = new NpgsqlCommand(
                """
                INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at)
                SELECT @org, x.e, x.n, x.l, x.a, @now, @now FROM unnest(@e, @n, @l, @a) AS x(e, n, l, a)
                ON CONFLICT (org_id, email) DO NOTHING
                RETURNING id, email
                """, Npgsql, npgsqlTx);
            cmd.Parameters.AddWithValue("org", orgId);
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("e", subscribers.Select(s => s.Email).ToArray());
            cmd.Parameters.AddWithValue("n", subscribers.Select(s => s.Name).ToArray());
            cmd.Parameters.AddWithValue("l", subscribers.Select(s => s.Language).ToArray());
            cmd.Parameters.AddWithValue("a", subscribers.Select(s => s.Attributes).ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                ids[reader.GetString(1)] = reader.GetInt64(0);
            return ids;
        }
        // SQLite gives a new row max(id) + 1; the batch holds the only write transaction, so it takes those ids itself.
        var next = await NextSqliteIdAsync("subscribers");
        using var insert = new RawStatement(tx.Connection,
            "INSERT INTO subscribers (id, org_id, email, name, language, attributes, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (org_id, email) DO NOTHING");
        insert.Bind(2, orgId);
        insert.Bind(7, now);
        InsertSubscribers(insert, subscribers, next, ids);
        return ids;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopySubscribers(NpgsqlBinaryImporter copy, List<(string Email, string Name, string Language, string Attributes)> subscribers, long[] ids, long orgId, long now)
    {
        for (var i = 0; i < subscribers.Count; i++)
        {
            var s = subscribers[i];
            copy.StartRow();
            copy.Write(ids[i], NpgsqlDbType.Bigint);
            copy.Write(orgId, NpgsqlDbType.Bigint);
            copy.Write(s.Email, NpgsqlDbType.Text);
            copy.Write(s.Name, NpgsqlDbType.Text);
            copy.Write(s.Language, NpgsqlDbType.Text);
            copy.Write(s.Attributes, NpgsqlDbType.Text);
            copy.Write(now, NpgsqlDbType.Bigint);
            copy.Write(now, NpgsqlDbType.Bigint);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InsertSubscribers(RawStatement insert, List<(string Email, string Name, string Language, string Attributes)> subscribers, long next, Dictionary<string, long> ids)
    {
        foreach (var s in subscribers)
        {
            insert.Bind(1, next);
            insert.Bind(3, s.Email);
            insert.Bind(4, s.Name);
            insert.Bind(5, s.Language);
            insert.Bind(6, s.Attributes);
            if (insert.Run())
                ids[s.Email] = next++;
        }
    }

    /// <summary>Inserts new subscriptions; returns their ids in the order given.</summary>
    public async Task<long[]> InsertSubscriptionsAsync(List<(long SubscriberId, long ListId, string Status)> subscriptions, CancellationToken ct)
    {
        if (subscriptions.Count == 0)
            return [];
        if (postgres)
        {
            var reserved = await ReserveIdsAsync("subscriptions", subscriptions.Count, ct);
            await using var copy = await Npgsql.BeginBinaryImportAsync(
                "COPY subscriptions (id, org_id, subscriber_id, list_id, status, created_at, confirmed_at, confirmation_sent_at, request_at) FROM STDIN (FORMAT BINARY)", ct);
            CopySubscriptions(copy, subscriptions, reserved, orgId, now);
            await copy.CompleteAsync(ct);
            return reserved;
        }
        var next = await NextSqliteIdAsync("subscriptions");
        using var insert = new RawStatement(tx.Connection,
            """
            INSERT INTO subscriptions (id, org_id, subscriber_id, list_id, status, created_at, confirmed_at, confirmation_sent_at, request_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
            """);
        insert.Bind(2, orgId);
        insert.Bind(6, now);
        return InsertSubscriptions(insert, subscriptions, next, now);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopySubscriptions(NpgsqlBinaryImporter copy, List<(long SubscriberId, long ListId, string Status)> subscriptions, long[] ids, long orgId, long now)
    {
        for (var i = 0; i < subscriptions.Count; i++)
        {
            var s = subscriptions[i];
            var pending = s.Status == SubscriptionStatuses.Pending;
            copy.StartRow();
            copy.Write(ids[i], NpgsqlDbType.Bigint);
            copy.Write(orgId, NpgsqlDbType.Bigint);
            copy.Write(s.SubscriberId, NpgsqlDbType.Bigint);
            copy.Write(s.ListId, NpgsqlDbType.Bigint);
            copy.Write(s.Status, NpgsqlDbType.Text);
            copy.Write(now, NpgsqlDbType.Bigint);
            if (s.Status == SubscriptionStatuses.Confirmed)
                copy.Write(now, NpgsqlDbType.Bigint);
            else
                copy.WriteNull();
            if (pending)
            {
                copy.Write(now, NpgsqlDbType.Bigint);
                copy.Write(now, NpgsqlDbType.Bigint);
            }
            else
            {
                copy.WriteNull();
                copy.WriteNull();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long[] InsertSubscriptions(RawStatement insert, List<(long SubscriberId, long ListId, string Status)> subscriptions, long next, long now)
    {
        var ids = new long[subscriptions.Count];
        for (var i = 0; i < subscriptions.Count; i++)
        {
            var s = subscriptions[i];
            insert.Bind(1, next);
            insert.Bind(3, s.SubscriberId);
            insert.Bind(4, s.ListId);
            insert.Bind(5, s.Status);
            insert.Bind(7, s.Status == SubscriptionStatuses.Confirmed ? now : null);
            insert.Bind(8, s.Status == SubscriptionStatuses.Pending ? now : null);
            insert.Run();
            ids[i] = next++;
        }
        return ids;
    }

    /// <summary>Appends the import's grants of new subscriptions.</summary>
    public async Task InsertConsentsAsync(List<(long SubscriberId, long ListId, ImportRow Row)> consents, long importId, string actor, CancellationToken ct)
    {
        if (consents.Count == 0)
            return;
        if (postgres)
        {
            await using var copy = await Npgsql.BeginBinaryImportAsync(
                """
                COPY consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, ip, source, wording_text, wording_hash,
                  evidence_method, legal_basis, import_id, actor, recorded_at) FROM STDIN (FORMAT BINARY)
                """, ct);
            CopyConsents(copy, consents, orgId, importId, actor, now);
            await copy.CompleteAsync(ct);
            return;
        }
        using var insert = new RawStatement(tx.Connection,
            """
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, ip, source, wording_text, wording_hash,
              evidence_method, legal_basis, import_id, actor, recorded_at)
            VALUES (?1, ?2, ?3, 'grant', 'import', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """);
        insert.Bind(1, orgId);
        insert.Bind(11, importId);
        insert.Bind(12, actor);
        insert.Bind(13, now);
        InsertConsents(insert, consents);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyConsents(NpgsqlBinaryImporter copy, List<(long SubscriberId, long ListId, ImportRow Row)> consents, long orgId, long importId, string actor, long now)
    {
        foreach (var (subscriberId, listId, row) in consents)
        {
            var g = Grant.Of(row);
            copy.StartRow();
            copy.Write(orgId, NpgsqlDbType.Bigint);
            copy.Write(subscriberId, NpgsqlDbType.Bigint);
            copy.Write(listId, NpgsqlDbType.Bigint);
            copy.Write("grant", NpgsqlDbType.Text);
            copy.Write("import", NpgsqlDbType.Text);
            copy.Write(g.OccurredAt, NpgsqlDbType.Bigint);
            WriteText(copy, row.Ip);
            WriteText(copy, row.Source);
            WriteText(copy, row.Text);
            WriteText(copy, g.WordingHash);
            copy.Write(g.EvidenceMethod, NpgsqlDbType.Text);
            copy.Write(g.LegalBasis, NpgsqlDbType.Text);
            copy.Write(importId, NpgsqlDbType.Bigint);
            copy.Write(actor, NpgsqlDbType.Text);
            copy.Write(now, NpgsqlDbType.Bigint);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InsertConsents(RawStatement insert, List<(long SubscriberId, long ListId, ImportRow Row)> consents)
    {
        foreach (var (subscriberId, listId, row) in consents)
        {
            var g = Grant.Of(row);
            insert.Bind(2, subscriberId);
            insert.Bind(3, listId);
            insert.Bind(4, g.OccurredAt);
            insert.Bind(5, row.Ip);
            insert.Bind(6, row.Source);
            insert.Bind(7, row.Text);
            insert.Bind(8, g.WordingHash);
            insert.Bind(9, g.EvidenceMethod);
            insert.Bind(10, g.LegalBasis);
            insert.Run();
        }
    }

    private NpgsqlConnection Npgsql => (NpgsqlConnection)tx.Connection;

    // Ids taken from the table's identity sequence in one statement, so COPY can write rows that refer to each other.
    private async Task<long[]> ReserveIdsAsync(string table, int count, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT nextval(q.s) FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS s) q, generate_series(1, @n)", Npgsql, (NpgsqlTransaction)tx.Transaction);
        cmd.Parameters.AddWithValue("n", count);
        var ids = new long[count];
        var i = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            ids[i++] = reader.GetInt64(0);
        return ids;
    }

    private static void WriteText(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
            copy.WriteNull();
        else
            copy.Write(value, NpgsqlDbType.Text);
    }

    private async Task<long> NextSqliteIdAsync(string table) =>
        await tx.Connection.ExecuteScalarAsync<long>($"SELECT coalesce(max(id), 0) + 1 FROM {table}", transaction: tx.Transaction);

    /// <summary>
    /// A statement prepared once and run for every row of a batch through SQLite's own interface, inside
    /// the batch's transaction: per row it costs the binding and the step, nothing else.
    /// </summary>
    private sealed class RawStatement : IDisposable
    {
        private readonly SQLitePCL.sqlite3 _db;
        private readonly SQLitePCL.sqlite3_stmt _stmt;

        public RawStatement(System.Data.Common.DbConnection connection, string sql)
        {
            _db = ((SqliteConnection)connection).Handle!;
            var rc = SQLitePCL.raw.sqlite3_prepare_v2(_db, sql, out _stmt);
            if (rc != SQLitePCL.raw.SQLITE_OK)
                throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        public void Bind(int index, long value) => SQLitePCL.raw.sqlite3_bind_int64(_stmt, index, value);

        public void Bind(int index, long? value)
        {
            if (value is null)
                SQLitePCL.raw.sqlite3_bind_null(_stmt, index);
            else
                SQLitePCL.raw.sqlite3_bind_int64(_stmt, index, value.Value);
        }

        public void Bind(int index, string? value)
        {
            if (value is null)
                SQLitePCL.raw.sqlite3_bind_null(_stmt, index);
            else
                SQLitePCL.raw.sqlite3_bind_text(_stmt, index, value);
        }

        /// <summary>Runs the statement; true when it changed a row.</summary>
        public bool Run()
        {
            var rc = SQLitePCL.raw.sqlite3_step(_stmt);
            if (rc != SQLitePCL.raw.SQLITE_DONE)
            {
                var message = SQLitePCL.raw.sqlite3_errmsg(_db).utf8_to_string();
                SQLitePCL.raw.sqlite3_reset(_stmt);
                throw new SqliteException(message, rc);
            }
            SQLitePCL.raw.sqlite3_reset(_stmt);
            return SQLitePCL.raw.sqlite3_changes(_db) > 0;
        }

        public void Dispose() => _stmt.Dispose();
    }

    /// <summary>The fields of an import's grant that follow from its basis.</summary>
    private readonly record struct Grant(long OccurredAt, string EvidenceMethod, string LegalBasis, string? WordingHash)
    {
        public static Grant Of(ImportRow row)
        {
            var customer = row.Basis == ImportBasis.Customer;
            return new Grant(
                (customer ? row.CustomerSince : row.ConsentAt)!.Value.ToUnixTimeMilliseconds(),
                customer ? "customer" : row.Method!,
                customer ? LegalBases.Customer : LegalBases.Consent,
                row.Text is null ? null : ConsentWording.Hash(row.Text));
        }
    }
}
