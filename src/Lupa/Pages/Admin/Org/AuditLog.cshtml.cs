using Lupa.Admin;
using Lupa.Privacy;
using Lupa.Storage;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/privacy/audit: the organisation's audit trail, newest first (?before= pages): every view, export,
/// change and deletion of personal data, by whom. For the privacy officer, owners and admins.
/// </summary>
public sealed class AuditLogModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Entries per page.</summary>
    public const int PageSize = 100;

    /// <summary>This page's entries.</summary>
    public IReadOnlyList<AuditEntryRow> Entries { get; private set; } = [];

    /// <summary>The cursor of the next (older) page, or null on the last.</summary>
    public long? NextBefore { get; private set; }

    /// <summary>Shows a page.</summary>
    public async Task OnGetAsync(long? before, CancellationToken ct)
    {
        var rows = await new AuditStore(Database).ListAsync(Organisation.Id, PageSize + 1, Math.Max(0, before ?? 0), ct);
        Entries = rows.Count > PageSize ? rows.Take(PageSize).ToList() : rows;
        NextBefore = rows.Count > PageSize ? Entries[^1].Id : null;
    }
}
