using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Dapper;

namespace Lupa.Storage;

/// <summary>One entry of the audit trail.</summary>
public sealed class AuditEntryRow
{
    public long Id { get; init; }
    public long? OrgId { get; init; }
    public long At { get; init; }
    public string Actor { get; init; } = "";
    public string Action { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Details { get; init; } = "";
    public string PrevHash { get; init; } = "";
    public string Hash { get; init; } = "";
}

internal sealed class AuditHeadRow
{
    public long Entries { get; init; }
    public long LastId { get; init; }
    public string LastHash { get; init; } = "";
    public string Mac { get; init; } = "";
}

/// <summary>An entry about to be appended: who did what to what, when, with facts that name no person.</summary>
public sealed record AuditEntry(long? OrgId, string Actor, string Action, string Subject, string Details, long At);

/// <summary>What <see cref="AuditStore.CheckAsync"/> found.</summary>
/// <param name="Entries">Entries in the trail as read.</param>
/// <param name="BrokenAt">
/// The first entry that does not fit the chain (altered, or an entry before it removed); when the end of the trail was
/// removed, the id after the last entry that remains. Null when the trail is intact.
/// </param>
/// <param name="Problem">What is wrong, in a sentence; null when intact.</param>
/// <param name="HeadEntries">How many entries the head says were ever appended.</param>
/// <param name="HeadHash">The hash of the last entry, as the head keeps it: note it down elsewhere to detect a rollback.</param>
/// <param name="Keyed">Whether the head carries a MAC under <c>Lupa:Secrets:AuditKey</c>.</param>
public sealed record AuditCheck(long Entries, long? BrokenAt, string? Problem, long HeadEntries, string HeadHash, bool Keyed)
{
    /// <summary>True when nothing was altered or removed.</summary>
    public bool Intact => Problem is null;
}

/// <summary>
/// The append-only audit trail. Each entry carries the hash of the previous one, so altering or removing an entry
/// breaks the chain at that point; the head row (entries appended so far, the last id and hash, and a keyed MAC when
/// an audit key is configured) is updated in the same transaction, so removing the last entries shows too. Database
/// triggers refuse UPDATE and DELETE of entries and any step back of the head.
/// </summary>
/// <remarks>
/// Appends from many requests are batched: <see cref="AppendAsync(long?, string, string, string, string, long, CancellationToken)"/>
/// queues the entry and waits until a writer loop has committed it together with whatever else was queued meanwhile,
/// in one transaction that takes the head under a lock. The chain stays strict (one order, each entry hashed over
/// the one before), and a view is answered only after its entry is stored.
/// </remarks>
public sealed class AuditStore(LupaDatabase db)
{
    /// <summary>The hash an entry must carry.</summary>
    public static string HashOf(string prevHash, long? orgId, long at, string actor, string action, string subject, string details)
    {
        var text = string.Join('\u001f', prevHash, orgId?.ToString(CultureInfo.InvariantCulture) ?? "", at.ToString(CultureInfo.InvariantCulture), actor, action, subject, details);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The MAC of the head under <paramref name="key"/>, or "" without a key.</summary>
    public static string HeadMac(byte[]? key, long entries, long lastId, string lastHash)
    {
        if (key is not { Length: > 0 })
            return "";
        var text = string.Join('\u001f', entries.ToString(CultureInfo.InvariantCulture), lastId.ToString(CultureInfo.InvariantCulture), lastHash);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Appends an entry, batched with others that arrive meanwhile; returns when it is committed.</summary>
    public Task AppendAsync(long? orgId, string actor, string action, string subject, string details, long now, CancellationToken ct = default) =>
        AppendAsync(new AuditEntry(orgId, actor, action, subject, details, now), ct);

    /// <summary>Appends an entry, batched with others that arrive meanwhile; returns when it is committed.</summary>
    public Task AppendAsync(AuditEntry entry, CancellationToken ct = default) => db.AuditQueue.AppendAsync(entry, ct);

    /// <summary>
    /// Appends entries inside the caller's write transaction (so they commit or roll back with the change they describe).
    /// On PostgreSQL the head row's lock orders this against every other appender until the caller commits.
    /// </summary>
    public static async Task AppendInAsync(LupaDatabase db, WriteTransaction tx, IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0)
            return;
        // SQLite has one writer at a time already; PostgreSQL orders appenders (on every node) by the head row's lock.
        var lockHead = db.IsPostgres ? " FOR UPDATE" : "";
        var (count, lastId, prev) = await tx.Connection.QuerySingleAsync<(long, long, string)>(
            "SELECT entries, last_id, last_hash FROM audit_head WHERE id = 1" + lockHead, transaction: tx.Transaction);
        foreach (var e in entries)
        {
            var hash = HashOf(prev, e.OrgId, e.At, e.Actor, e.Action, e.Subject, e.Details);
            lastId = await tx.Connection.ExecuteScalarAsync<long>(
                "INSERT INTO audit_log (org_id, at, actor, action, subject, details, prev_hash, hash) VALUES (@OrgId, @At, @Actor, @Action, @Subject, @Details, @prev, @hash) RETURNING id",
                new { e.OrgId, e.At, e.Actor, e.Action, e.Subject, e.Details, prev, hash }, tx.Transaction);
            prev = hash;
            count++;
        }
        await tx.Connection.ExecuteAsync(
            "UPDATE audit_head SET entries = @count, last_id = @lastId, last_hash = @prev, mac = @mac WHERE id = 1",
            new { count, lastId, prev, mac = HeadMac(db.AuditKey, count, lastId, prev) }, tx.Transaction);
    }

    /// <summary>
    /// Puts the MAC on a head that has none (written before an audit key was configured). A head that carries a MAC
    /// keeps it: only appends move it.
    /// </summary>
    public async Task SealAsync(CancellationToken ct = default)
    {
        if (db.AuditKey is not { Length: > 0 })
            return;
        await using var tx = await db.BeginWriteAsync(ct);
        var head = await tx.Connection.QuerySingleOrDefaultAsync<AuditHeadRow>(
            "SELECT entries, last_id, last_hash, mac FROM audit_head WHERE id = 1" + (db.IsPostgres ? " FOR UPDATE" : ""), transaction: tx.Transaction);
        if (head is { Mac: "" })
        {
            await tx.Connection.ExecuteAsync("UPDATE audit_head SET mac = @mac WHERE id = 1",
                new { mac = HeadMac(db.AuditKey, head.Entries, head.LastId, head.LastHash) }, tx.Transaction);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>An organisation's entries, newest first, before the entry <paramref name="beforeId"/> (0 for the newest).</summary>
    public async Task<IReadOnlyList<AuditEntryRow>> ListAsync(long orgId, int limit, long beforeId = 0, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var before = beforeId <= 0 ? long.MaxValue : beforeId;
        return (await c.QueryAsync<AuditEntryRow>(
            "SELECT * FROM audit_log WHERE org_id = @orgId AND id < @before ORDER BY id DESC LIMIT @limit", new { orgId, before, limit })).AsList();
    }

    /// <summary>Walks the whole chain and compares its end with the head; returns the id of the first entry that does not fit, or null when it is intact.</summary>
    public async Task<long?> VerifyAsync(CancellationToken ct = default) => (await CheckAsync(null, ct)).BrokenAt;

    /// <summary>
    /// Walks the whole chain and compares its end with the head (and the head's MAC when an audit key is configured).
    /// <paramref name="progress"/> hears the number of entries read so far.
    /// </summary>
    public async Task<AuditCheck> CheckAsync(IProgress<long>? progress, CancellationToken ct = default)
    {
        var key = db.AuditKey;
        await using var c = await db.OpenAsync(ct);
        var head = await c.QuerySingleOrDefaultAsync<AuditHeadRow>("SELECT entries, last_id, last_hash, mac FROM audit_head WHERE id = 1");
        var (headEntries, headLastId, headHash, mac) = head is null ? (0L, 0L, "", "") : (head.Entries, head.LastId, head.LastHash, head.Mac);
        var keyed = key is { Length: > 0 };
        var prev = "";
        long after = 0, count = 0;
        AuditCheck Result(long? brokenAt, string? problem) => new(count, brokenAt, problem, headEntries, headHash, keyed);
        if (head is null)
            return Result(1, "The audit trail's head is missing: it was removed.");
        while (true)
        {
            var page = (await c.QueryAsync<AuditEntryRow>(new CommandDefinition(
                "SELECT * FROM audit_log WHERE id > @after ORDER BY id LIMIT 5000", new { after }, cancellationToken: ct))).AsList();
            if (page.Count == 0)
                break;
            foreach (var e in page)
            {
                if (e.PrevHash != prev)
                    return Result(e.Id, $"Entry {e.Id} does not follow the entry before it: an entry before it was removed or altered.");
                if (e.Hash != HashOf(e.PrevHash, e.OrgId, e.At, e.Actor, e.Action, e.Subject, e.Details))
                    return Result(e.Id, $"Entry {e.Id} was altered: its contents do not match its hash.");
                prev = e.Hash;
                after = e.Id;
                count++;
            }
            progress?.Report(count);
        }
        if (keyed && mac != HeadMac(key, headEntries, headLastId, headHash))
            return Result(after + 1, "The audit trail's head does not carry the MAC of Lupa:Secrets:AuditKey: it was changed outside Lupa (or the key is not the one it was written with).");
        if (count < headEntries || after < headLastId)
            return Result(after + 1, $"The audit trail ends at entry {after} with {count} entries, but its head records {headEntries} entries up to entry {headLastId}: the last {headEntries - count} entries were removed.");
        if (count != headEntries || after != headLastId || prev != headHash)
            return Result(after, $"The audit trail's end (entry {after}, {count} entries) does not match its head (entry {headLastId}, {headEntries} entries).");
        return Result(null, null);
    }
}

/// <summary>
/// The writer loop behind <see cref="AuditStore.AppendAsync(AuditEntry, CancellationToken)"/>: one per database, started
/// on the first append. Each turn takes what is queued (up to 256 entries) and appends it in one transaction.
/// </summary>
internal sealed class AuditQueue(LupaDatabase db)
{
    private readonly Channel<(AuditEntry Entry, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(AuditEntry, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });

    private int _started;

    public async Task AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
            _ = Task.Run(RunAsync, CancellationToken.None);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((entry, done)))
            throw new ObjectDisposedException(nameof(LupaDatabase), "The database is closed; the audit entry was not written.");
        // A caller that gives up still has its entry written: the action it describes may already have happened.
        await done.Task.WaitAsync(ct);
    }

    public void Complete() => _queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        var batch = new List<(AuditEntry Entry, TaskCompletionSource Done)>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
                batch.Add(item);
            try
            {
                await using (var tx = await db.BeginWriteAsync())
                {
                    await AuditStore.AppendInAsync(db, tx, batch.Select(b => b.Entry).ToList());
                    await tx.CommitAsync();
                }
                foreach (var b in batch)
                    b.Done.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var b in batch)
                    b.Done.TrySetException(e);
            }
            batch.Clear();
        }
    }

    private const int MaxBatch = 256;
}
