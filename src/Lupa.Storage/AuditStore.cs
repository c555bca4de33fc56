using System.Security.Cryptography;
using System.Text;
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

/// <summary>
/// The append-only audit trail. Each entry carries the hash of the previous one, so removing or
/// altering any entry breaks the chain at that point.
/// </summary>
public sealed class AuditStore(LupaDatabase db)
{
    /// <summary>The hash an entry must carry.</summary>
    public static string HashOf(string prevHash, long? orgId, long at, string actor, string action, string subject, string details)
    {
        var text = string.Join('\u001f', prevHash, orgId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", at.ToString(System.Globalization.CultureInfo.InvariantCulture), actor, action, subject, details);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Appends an entry (serialised with other writers so the chain stays a chain).</summary>
    public async Task AppendAsync(long? orgId, string actor, string action, string subject, string details, long now, CancellationToken ct = default)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (db.IsPostgres)
            await tx.Connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7411)", transaction: tx.Transaction);
        var prev = await tx.Connection.ExecuteScalarAsync<string>("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", transaction: tx.Transaction) ?? "";
        var hash = HashOf(prev, orgId, now, actor, action, subject, details);
        await tx.Connection.ExecuteAsync(
            "INSERT INTO audit_log (org_id, at, actor, action, subject, details, prev_hash, hash) VALUES (@orgId, @now, @actor, @action, @subject, @details, @prev, @hash)",
            new { orgId, now, actor, action, subject, details, prev, hash }, tx.Transaction);
        await tx.CommitAsync(ct);
    }

    /// <summary>An organisation's newest entries.</summary>
    public async Task<IReadOnlyList<AuditEntryRow>> ListAsync(long orgId, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<AuditEntryRow>("SELECT * FROM audit_log WHERE org_id = @orgId ORDER BY id DESC LIMIT @limit", new { orgId, limit })).AsList();
    }

    /// <summary>Walks the whole chain; returns the id of the first entry that does not fit, or null when it is intact.</summary>
    public async Task<long?> VerifyAsync(CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var prev = "";
        long after = 0;
        while (true)
        {
            var page = (await c.QueryAsync<AuditEntryRow>("SELECT * FROM audit_log WHERE id > @after ORDER BY id LIMIT 5000", new { after })).AsList();
            if (page.Count == 0)
                return null;
            foreach (var e in page)
            {
                if (e.PrevHash != prev || e.Hash != HashOf(e.PrevHash, e.OrgId, e.At, e.Actor, e.Action, e.Subject, e.Details))
                    return e.Id;
                prev = e.Hash;
                after = e.Id;
            }
        }
    }
}
