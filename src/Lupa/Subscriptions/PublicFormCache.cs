using System.Collections.Concurrent;
using Lupa.Storage;

namespace Lupa.Subscriptions;

/// <summary>
/// The organisation, list and privacy-notice version behind a public form, kept for a few seconds:
/// a busy form would otherwise read the same three rows for every post. A change to a list shows on
/// the form within <see cref="Lifetime"/>; what a post records is the wording version its form showed.
/// </summary>
public sealed class PublicFormCache(SystemStore system, LupaDatabase db, TimeProvider clock)
{
    /// <summary>How long an entry is used.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(string Org, string List), Entry> _entries = new();

    /// <summary>What a form shows.</summary>
    public sealed record Entry(OrganisationRow Organisation, ListRow List, int? NoticeVersion, DateTimeOffset Expires);

    /// <summary>The form's facts, or null when the organisation or list does not exist.</summary>
    public async Task<Entry?> GetAsync(string org, string list, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue((org, list), out var e) && e.Expires > now)
            return e;
        var o = await system.FindOrganisationAsync(org, ct);
        if (o is null)
            return null;
        var store = new OrganisationStore(db, o.Id);
        var l = await store.FindListAsync(list, ct);
        if (l is null)
            return null;
        var notice = await store.GetPrivacyNoticeAsync(ct: ct);
        e = new Entry(o, l, notice?.Version, now + Lifetime);
        if (_entries.Count > 10_000)
            _entries.Clear();
        _entries[(org, list)] = e;
        return e;
    }
}
