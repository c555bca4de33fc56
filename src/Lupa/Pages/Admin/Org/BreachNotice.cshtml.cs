using Lupa.Admin;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/breaches/{id}/notices/{noticeId}: a notice's progress (refreshed every second until done) and each
/// person's delivery: waiting, sent (the relay took it) or failed, with the relay's words.
/// </summary>
public sealed class BreachNoticeModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, BreachService breaches)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>People shown at most.</summary>
    public const int Limit = 500;

    /// <summary>The breach.</summary>
    public BreachRow Breach { get; private set; } = null!;

    /// <summary>The notice with its progress.</summary>
    public BreachNoticeRow Notice { get; private set; } = null!;

    /// <summary>Its people, with their delivery.</summary>
    public IReadOnlyList<BreachNoticeRecipientRow> People { get; private set; } = [];

    /// <summary>The state filter, or empty.</summary>
    public string State { get; private set; } = "";

    /// <summary>The breach service, for times.</summary>
    public BreachService Service => breaches;

    /// <summary>The progress as the page and its script show it.</summary>
    public NoticeProgress Progress => NoticeProgress.Of(Notice);

    /// <summary>Shows the notice.</summary>
    public async Task<IActionResult> OnGetAsync(long id, long noticeId, string? state, CancellationToken ct)
    {
        var store = breaches.For(Organisation.Id);
        if (await store.GetAsync(id, ct) is not { } b || await store.GetNoticeAsync(id, noticeId, ct) is not { } n)
            return NotFoundPage("notice");
        Breach = b;
        Notice = n;
        State = BreachNoticeStates.All.Contains(state) ? state! : "";
        People = await store.ListNoticeRecipientsAsync(noticeId, State.Length == 0 ? null : State, 0, Limit, ct);
        return Page();
    }

    /// <summary>The progress as JSON, for the page's refresh.</summary>
    public async Task<IActionResult> OnGetProgressAsync(long id, long noticeId, CancellationToken ct)
    {
        if (await breaches.For(Organisation.Id).GetNoticeAsync(id, noticeId, ct) is not { } n)
            return NotFound();
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(NoticeProgress.Of(n));
    }
}

/// <summary>A notice's progress: status, counts and the share handled.</summary>
public sealed record NoticeProgress(string Status, long Recipients, long Prepared, long Sent, long Failed, long Waiting, int Percent)
{
    /// <summary>The progress of a notice row.</summary>
    public static NoticeProgress Of(BreachNoticeRow n) =>
        new(BreachNoticeJob.Status(n), n.Recipients, n.Prepared, n.Sent, n.Failed, Math.Max(0, n.Recipients - n.Sent - n.Failed),
            n.Recipients == 0 ? 100 : (int)(100 * (n.Sent + n.Failed) / n.Recipients));
}
