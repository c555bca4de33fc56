using Lupa.Admin;
using Lupa.Campaigns;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;
using Lupa.Mail.Templates;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/campaigns/{id}: one campaign: its preview for a chosen subscriber, test sends, the
/// compliance check that guards the start, start and schedule, the progress while it sends (the page
/// polls <c>?handler=progress</c>), pause, resume and cancel, and the recipients that failed.
/// Everyone who may see the organisation reads it; owners, admins and marketers act on it.
/// </summary>
public sealed class CampaignModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignService campaigns, Lupa.AcceptableUse.AcceptableUseService acceptableUse)
    : OrgPageModel(system, db, clock)
{
    /// <summary>The zones the schedule form offers; the first is the default.</summary>
    public static readonly IReadOnlyList<string> TimeZones =
        ["Europe/Helsinki", "Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Europe/Tallinn", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "UTC"];

    /// <summary>Most failed recipients the page lists.</summary>
    public const int FailedShown = 100;

    // What a successful action says after the redirect.
    private static readonly Dictionary<string, string> Done = new()
    {
        ["saved"] = "Saved.",
        ["started"] = "Sending started.",
        ["scheduled"] = "Scheduled.",
        ["unscheduled"] = "Back to draft: the scheduled start is off.",
        ["paused"] = "Paused. Messages already handed to the relay still go out.",
        ["resumed"] = "Sending resumed.",
        ["cancelled"] = "Cancelled. Recipients not yet sent to get nothing.",
    };

    private static readonly Dictionary<string, (CampaignStatus.Action Action, string Done)> Actions = new()
    {
        ["pause"] = (CampaignStatus.Action.Pause, "paused"),
        ["resume"] = (CampaignStatus.Action.Resume, "resumed"),
        ["cancel"] = (CampaignStatus.Action.Cancel, "cancelled"),
        ["unschedule"] = (CampaignStatus.Action.Unschedule, "unscheduled"),
    };

    /// <summary>The campaign.</summary>
    public CampaignRow Campaign { get; private set; } = null!;

    /// <summary>Its progress.</summary>
    public CampaignProgressView Progress { get; private set; } = null!;

    /// <summary>The names of its lists.</summary>
    public IReadOnlyList<string> ListNames { get; private set; } = [];

    /// <summary>The segment in words.</summary>
    public string SegmentDescription { get; private set; } = "everyone";

    /// <summary>How many people it would go to now (draft and scheduled only).</summary>
    public long? SelectionCount { get; private set; }

    /// <summary>The compliance check's problems (draft and scheduled only).</summary>
    public IReadOnlyList<ComplianceProblem> CheckProblems { get; private set; } = [];

    /// <summary>The message rendered for <see cref="PreviewEmail"/> or the sample person, or null when rendering failed.</summary>
    public RenderedMessage? Preview { get; private set; }

    /// <summary>Why the preview could not be rendered, or a note about whom it shows.</summary>
    public string? PreviewNote { get; private set; }

    /// <summary>The address the preview is rendered for; empty for the sample person.</summary>
    public string PreviewEmail { get; private set; } = "";

    /// <summary>The addresses typed for a test send.</summary>
    public string TestAddresses { get; private set; } = "";

    /// <summary>The time typed in the schedule form.</summary>
    public string ScheduleAt { get; private set; } = "";

    /// <summary>The zone chosen in the schedule form.</summary>
    public string ScheduleZone { get; private set; } = TimeZones[0];

    /// <summary>Failed recipients with their last error.</summary>
    public IReadOnlyList<CampaignRecipientRow> FailedRecipients { get; private set; } = [];

    /// <summary>The campaign's rates against the acceptable use policy.</summary>
    public IReadOnlyList<Lupa.Domain.AcceptableUse.PolicyFinding> PolicyFindings { get; private set; } = [];

    /// <summary>Messages needed before a rate warns or stops.</summary>
    public long MinimumVolume => acceptableUse.Policy.MinimumVolume;

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Which form the last refusal was about: test, start, schedule or act.</summary>
    public string? RefusedForm { get; private set; }

    /// <summary>True while the campaign is a draft or scheduled: it can still be checked and started.</summary>
    public bool BeforeStart => Campaign.Status is CampaignStatus.Draft or CampaignStatus.Scheduled;

    /// <summary>Whether an action is possible from the campaign's status.</summary>
    public bool Can(CampaignStatus.Action action) => CampaignStatus.After(Campaign.Status, action).IsOk;

    /// <summary>The sandboxed HTML for the preview iframe's srcdoc.</summary>
    public string PreviewSrcdoc => AdminText.Sandboxed(Preview?.Html ?? "");

    /// <summary>Shows the campaign, with the preview rendered for <paramref name="email"/> when given.</summary>
    public async Task<IActionResult> OnGetAsync(long id, string? email, string? done, int? tested, CancellationToken ct)
    {
        if (!await LoadAsync(id, email, ct))
            return NotFoundPage("campaign");
        if (done is not null)
            Notice = Done.GetValueOrDefault(done);
        if (tested is { } n)
            Notice = $"Test sent to {n} {(n == 1 ? "address" : "addresses")}; it is marked [Test] in the subject.";
        return Page();
    }

    /// <summary>The progress as JSON, for the page's script.</summary>
    public async Task<IActionResult> OnGetProgressAsync(long id, CancellationToken ct)
    {
        var store = campaigns.For(Organisation.Id);
        var row = await store.GetAsync(id, ct);
        if (row is null)
            return NotFound();
        Response.Headers.CacheControl = "no-store";
        return new JsonResult(CampaignProgressView.Of(row, await store.ProgressAsync(row, Now(), ct)));
    }

    /// <summary>Sends the campaign to up to ten addresses, rendered for the preview's subscriber.</summary>
    public async Task<IActionResult> OnPostTestAsync(long id, [FromForm] string? addresses, [FromForm] string? email, CancellationToken ct)
    {
        if (await RefuseActionAsync(id, ct) is { } refused)
            return refused;
        TestAddresses = addresses ?? "";
        var parsed = new List<EmailAddress>();
        foreach (var a in (addresses ?? "").Split([',', ';', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var address = EmailAddress.Parse(a);
            if (!address.IsOk)
                return await RefusedAsync("test", $"“{a}”: {address.Reason}", StatusCodes.Status422UnprocessableEntity, email, ct);
            parsed.Add(address.Value!);
        }
        var subscriber = await FindSubscriberAsync(email, ct);
        var sent = await campaigns.SendTestAsync(Campaign, subscriber, parsed, ct);
        if (!sent.IsOk)
            return await RefusedAsync("test", sent.Reason!, StatusCodes.Status422UnprocessableEntity, email, ct);
        if (subscriber is not null)
            await AuditAsync(AuditActions.CampaignTest, "subscriber:" + subscriber.Id, new { campaign = id, addresses = parsed.Count }, ct);
        return LocalRedirect(OrgUrl("campaigns/" + id) + "?tested=" + sent.Value + (subscriber is null ? "" : "&email=" + Uri.EscapeDataString(subscriber.Email)));
    }

    /// <summary>Checks the campaign, fixes its recipients and starts sending.</summary>
    public async Task<IActionResult> OnPostStartAsync(long id, CancellationToken ct) =>
        await RefuseActionAsync(id, ct) ?? await AnswerAsync("start", await campaigns.StartAsync(Organisation.Id, id, ct), "started", ct);

    /// <summary>Schedules the start at a local time in a time zone.</summary>
    public async Task<IActionResult> OnPostScheduleAsync(long id, [FromForm] string? at, [FromForm] string? zone, CancellationToken ct)
    {
        if (await RefuseActionAsync(id, ct) is { } refused)
            return refused;
        ScheduleAt = at ?? "";
        ScheduleZone = zone ?? "";
        var refusal = TimeZones.Contains(ScheduleZone)
            ? await campaigns.ScheduleAsync(Organisation.Id, id, at, zone, ct)
            : new CampaignRefusal(StatusCodes.Status422UnprocessableEntity, "time_zone", "Choose one of the time zones.");
        return await AnswerAsync("schedule", refusal, "scheduled", ct);
    }

    /// <summary>Pause, resume, cancel, or back from scheduled to draft.</summary>
    public async Task<IActionResult> OnPostActAsync(long id, [FromForm] string? act, CancellationToken ct)
    {
        if (await RefuseActionAsync(id, ct) is { } refused)
            return refused;
        if (act is null || !Actions.TryGetValue(act, out var action))
            return await AnswerAsync("act", new CampaignRefusal(StatusCodes.Status422UnprocessableEntity, "act", "Choose pause, resume, cancel or unschedule."), "", ct);
        return await AnswerAsync("act", await campaigns.ActAsync(Organisation.Id, id, action.Action, ct), action.Done, ct);
    }

    // Before an action: 404 for a campaign of another organisation (or none), 403 for a role that may not act.
    private async Task<IActionResult?> RefuseActionAsync(long id, CancellationToken ct)
    {
        var campaign = await campaigns.For(Organisation.Id).GetAsync(id, ct);
        if (campaign is null)
            return NotFoundPage("campaign");
        Campaign = campaign;
        return DenyUnlessEdit();
    }

    private async Task<IActionResult> AnswerAsync(string form, CampaignRefusal? refusal, string done, CancellationToken ct)
    {
        if (refusal is null)
            return LocalRedirect(OrgUrl("campaigns/" + Campaign.Id) + "?done=" + done);
        var page = await RefusedAsync(form, refusal.Message, refusal.Status, null, ct);
        if (refusal.Problems is { Count: > 0 } problems)
            CheckProblems = problems;
        return page;
    }

    // The page as it is now (the state may have changed under the refused action), with the reason beside the form.
    private async Task<IActionResult> RefusedAsync(string form, string message, int status, string? email, CancellationToken ct)
    {
        if (!await LoadAsync(Campaign.Id, email, ct))
            return NotFoundPage("campaign");
        RefusedForm = form;
        Refuse(AdminText.Sentence(message), status);
        return Page();
    }

    private async Task<bool> LoadAsync(long id, string? email, CancellationToken ct)
    {
        var store = campaigns.For(Organisation.Id);
        var campaign = await store.GetAsync(id, ct);
        if (campaign is null)
            return false;
        Campaign = campaign;
        Progress = CampaignProgressView.Of(campaign, await store.ProgressAsync(campaign, Now(), ct));
        PolicyFindings = acceptableUse.Findings(campaign);
        var lists = (await Store.ListListsAsync(ct)).ToDictionary(l => l.Id, l => l.Name);
        ListNames = campaign.ListIdArray().Select(l => lists.GetValueOrDefault(l, $"list {l} (removed)")).ToList();
        var segment = Segment.Parse(campaign.Segment).Value ?? Segment.Empty;
        SegmentDescription = segment.Describe("en");
        if (BeforeStart)
        {
            SelectionCount = await store.CountSelectionAsync(campaign, segment, Now(), ct);
            CheckProblems = await campaigns.CheckAsync(campaign, ct);
        }
        if (campaign.Failed > 0)
        {
            FailedRecipients = await store.ListRecipientsAsync(id, 2, 0, FailedShown, ct);
            await AuditListedAsync(AuditActions.CampaignRecipients, "campaign:" + id, FailedRecipients.Select(r => r.SubscriberId).ToList(), new { state = "failed" }, ct);
        }
        if (ScheduleAt.Length == 0)
            ScheduleAt = TomorrowMorning(TimeZones.Contains(ScheduleZone) ? ScheduleZone : TimeZones[0]);
        await RenderPreviewAsync((email ?? "").Trim(), ct);
        return true;
    }

    // The organisation's subscriber with the address, or null (none given, or none such).
    private async Task<SubscriberRow?> FindSubscriberAsync(string? email, CancellationToken ct)
    {
        var address = EmailAddress.Parse((email ?? "").Trim());
        return address.IsOk ? await Store.FindSubscriberAsync(address.Value!.Value, ct) : null;
    }

    private async Task RenderPreviewAsync(string email, CancellationToken ct)
    {
        var subscriber = await FindSubscriberAsync(email, ct);
        if (subscriber is not null)
            PreviewEmail = subscriber.Email;
        else if (email.Length > 0)
            PreviewNote = $"No subscriber of {Organisation.Name} has the address “{email}”; the preview shows the sample person.";
        var rendered = await campaigns.PreviewAsync(Campaign, subscriber, ct);
        if (rendered.IsOk)
            Preview = rendered.Value;
        else
            PreviewNote = "The message cannot be rendered: " + rendered.Reason;
        if (subscriber is not null && rendered.IsOk)
            await AuditAsync(AuditActions.CampaignPreview, "subscriber:" + subscriber.Id, new { campaign = Campaign.Id }, ct);
    }

    // A sensible first value for the schedule form: 09:00 tomorrow in the zone.
    private string TomorrowMorning(string zone)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(Now()), tz);
        return local.Date.AddDays(1).AddHours(9).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
    }
}
