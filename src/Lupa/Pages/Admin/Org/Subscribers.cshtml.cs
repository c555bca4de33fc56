using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Storage;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/subscribers: search by address or name, paged by id (?after=).</summary>
public sealed class SubscribersModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 50;

    /// <summary>The search text.</summary>
    public string Query { get; private set; } = "";

    /// <summary>The cursor this page starts after.</summary>
    public long After { get; private set; }

    /// <summary>The cursor of the next page, or null on the last page.</summary>
    public long? NextAfter { get; private set; }

    /// <summary>This page's subscribers.</summary>
    public IReadOnlyList<SubscriberRow> Subscribers { get; private set; } = [];

    /// <summary>Shows a page.</summary>
    public async Task OnGetAsync(string? q, long? after, CancellationToken ct)
    {
        Query = (q ?? "").Trim();
        if (Query.Length > 200)
            Query = Query[..200];
        After = Math.Max(0, after ?? 0);
        // One row more than shown tells whether there is a next page.
        var rows = await Store.ListSubscribersAsync(Query.Length == 0 ? null : Query, After, PageSize + 1, ct);
        Subscribers = rows.Count > PageSize ? rows.Take(PageSize).ToList() : rows;
        NextAfter = rows.Count > PageSize ? Subscribers[^1].Id : null;
        await AuditListedAsync(AuditActions.SubscriberList, "subscribers", Subscribers.Select(s => s.Id).ToList(), new { search = Query.Length > 0 }, ct);
    }

    /// <summary>The URL of the page after <paramref name="after"/> with the same search.</summary>
    public string PageUrl(long after)
    {
        var query = new List<string>();
        if (Query.Length > 0)
            query.Add("q=" + Uri.EscapeDataString(Query));
        if (after > 0)
            query.Add("after=" + after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return OrgUrl("subscribers") + (query.Count == 0 ? "" : "?" + string.Join("&", query));
    }
}
