using Lupa.Admin;
using Lupa.Domain.Bounces;
using Lupa.Domain.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/bounces: the organisation's bounces and complaints, newest first (?kind=, ?before=), and each raw report while it is kept.</summary>
public sealed class BouncesModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 50;

    /// <summary>The kind shown, or null for all.</summary>
    public string? Kind { get; private set; }

    /// <summary>The cursor this page starts before (0 for the newest).</summary>
    public long Before { get; private set; }

    /// <summary>The cursor of the next (older) page, or null on the last page.</summary>
    public long? NextBefore { get; private set; }

    /// <summary>The organisation's counts over all campaigns.</summary>
    public BounceCounts Counts { get; private set; } = new(0, 0, 0);

    /// <summary>This page's events.</summary>
    public IReadOnlyList<BounceEventRow> Events { get; private set; } = [];

    /// <summary>Shows a page.</summary>
    public async Task OnGetAsync(string? kind, long? before, CancellationToken ct)
    {
        Kind = BounceKinds.IsKnown(kind) ? kind : null;
        Before = Math.Max(0, before ?? 0);
        var store = new BounceStore(Database, Organisation.Id);
        Counts = await store.CountsAsync(ct);
        var rows = await store.ListAsync(null, Kind, Before == 0 ? long.MaxValue : Before, PageSize + 1, ct);
        Events = rows.Count > PageSize ? rows.Take(PageSize).ToList() : rows;
        NextBefore = rows.Count > PageSize ? Events[^1].Id : null;
        await AuditListedAsync(AuditActions.BounceList, "bounces", Events.Select(e => e.SubscriberId).Distinct().ToList(), new { kind = Kind }, ct);
    }

    /// <summary>One event's raw report as plain text, while it is kept.</summary>
    public async Task<IActionResult> OnGetRawAsync(long id, CancellationToken ct)
    {
        var raw = await new BounceStore(Database, Organisation.Id).GetRawAsync(id, ct);
        if (raw is null)
            return NotFoundPage("report (raw reports are kept for a limited time)");
        await AuditAsync(AuditActions.BounceRaw, "bounce:" + id, null, ct);
        return File(raw, "text/plain; charset=utf-8");
    }

    /// <summary>The URL of a page with the given kind and cursor.</summary>
    public string PageUrl(string? kind, long before)
    {
        var query = new List<string>();
        if (kind is not null)
            query.Add("kind=" + kind);
        if (before > 0)
            query.Add("before=" + before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return OrgUrl("bounces") + (query.Count == 0 ? "" : "?" + string.Join("&", query));
    }

    /// <summary>How an event's source reads.</summary>
    public static string SourceText(string source) => source switch
    {
        BounceSources.Send => "refused during the send",
        BounceSources.Listener => "report by SMTP",
        BounceSources.Mailbox => "report from the mailbox",
        _ => source,
    };
}
