using System.Text.Json;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>
/// Where the program writes what a person or an API key did with personal data: views, exports, changes and deletions
/// (GDPR Article 5(2)). Entries name ids, never addresses or other personal data; appends are batched with others that
/// arrive meanwhile (see <see cref="AuditStore"/>), and each call returns once its entry is committed.
/// </summary>
public sealed class AuditTrail(LupaDatabase db, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Most ids a list view names in its entry; a longer list is cut and counted.</summary>
    public const int MaxIds = 500;

    /// <summary>Now, in Unix milliseconds.</summary>
    public long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The entry for an action, with <paramref name="details"/> as JSON (never personal data).</summary>
    public AuditEntry Entry(long? orgId, string actor, string action, string subject, object? details = null) =>
        new(orgId, actor, action, subject, details is null ? "{}" : JsonSerializer.Serialize(details, Json), Now());

    /// <summary>Records an action.</summary>
    public Task RecordAsync(long? orgId, string actor, string action, string subject, object? details = null, CancellationToken ct = default) =>
        new AuditStore(db).AppendAsync(Entry(orgId, actor, action, subject, details), ct);

    /// <summary>Records that a list of people (by id) was shown; nothing when the list was empty.</summary>
    public Task ListedAsync(long orgId, string actor, string action, string subject, IReadOnlyCollection<long> ids, object? facts = null, CancellationToken ct = default)
    {
        if (ids.Count == 0)
            return Task.CompletedTask;
        return RecordAsync(orgId, actor, action, subject, new { count = ids.Count, ids = ids.Take(MaxIds).ToArray(), facts }, ct);
    }
}
