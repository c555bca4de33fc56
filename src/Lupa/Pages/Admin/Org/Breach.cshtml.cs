using Lupa.Admin;
using Lupa.Api;
using Lupa.Domain;
using Lupa.Domain.Campaigns;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/breaches/{id}: one breach with its 72-hour countdown to the authority, the notification's status,
/// the text for the authority's form in Finnish and English, the facts, and the notice to the affected people with its
/// sends so far.
/// </summary>
[RequestSizeLimit(BreachModel.MaxUploadBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = BreachModel.MaxUploadBytes)]
public sealed class BreachModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, BreachService breaches)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Largest uploaded list of addresses.</summary>
    public const long MaxUploadBytes = 64L * 1024 * 1024;

    /// <summary>The breach.</summary>
    public BreachRow Breach { get; private set; } = null!;

    /// <summary>The breach service, for the clock.</summary>
    public BreachService Service => breaches;

    /// <summary>Where the clock stands.</summary>
    public BreachClockState State => breaches.State(Breach);

    /// <summary>The authority form's text in Finnish.</summary>
    public string AuthorityTextFi { get; private set; } = "";

    /// <summary>The authority form's text in English.</summary>
    public string AuthorityTextEn { get; private set; } = "";

    /// <summary>The breach's notices, newest first.</summary>
    public IReadOnlyList<BreachNoticeRow> Notices { get; private set; } = [];

    /// <summary>The organisation's lists, for choosing the people.</summary>
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    /// <summary>The facts form.</summary>
    public BreachBody Form { get; private set; } = new();

    /// <summary>The notice form as typed.</summary>
    public NoticeForm Notice { get; private set; } = new();

    /// <summary>The field a refusal is about.</summary>
    public string? ErrorField { get; private set; }

    /// <summary>Which form the refusal is about: facts, authority or notify.</summary>
    public string? ErrorForm { get; private set; }

    /// <summary>What the last action did.</summary>
    public string? Done { get; private set; }

    /// <summary>Shows the breach.</summary>
    public async Task<IActionResult> OnGetAsync(long id, string? done, CancellationToken ct)
    {
        Done = done switch
        {
            "register" => "The breach is registered; the 72-hour clock runs from its discovery.",
            "facts" => "The facts are saved.",
            "authority" => "The authority's notification is recorded.",
            _ => null,
        };
        if (!await LoadAsync(id, ct))
            return NotFoundPage("breach");
        Form = BreachForm.From(Breach, breaches);
        Notice = new NoticeForm { MessageFi = BreachView.Draft(Breach, "fi"), MessageEn = BreachView.Draft(Breach, "en") };
        return Page();
    }

    private async Task<bool> LoadAsync(long id, CancellationToken ct)
    {
        var store = breaches.For(Organisation.Id);
        if (await store.GetAsync(id, ct) is not { } b)
            return false;
        Breach = b;
        Notices = await store.ListNoticesAsync(id, ct);
        Lists = await Store.ListListsAsync(ct);
        AuthorityTextFi = await breaches.AuthorityTextAsync(Organisation.Id, b, Languages.Finnish, ct);
        AuthorityTextEn = await breaches.AuthorityTextAsync(Organisation.Id, b, Languages.English, ct);
        return true;
    }

    /// <summary>Saves the facts.</summary>
    public async Task<IActionResult> OnPostFactsAsync(long id, [FromForm] BreachBody form, CancellationToken ct)
    {
        var result = await breaches.UpdateAsync(Organisation.Id, id, BreachForm.Input(form), Person.Email, ct);
        if (result.IsOk)
            return LocalRedirect(OrgUrl("breaches/" + id) + "?done=facts");
        return await RefusedAsync(id, "facts", result.Code!, result.Reason!, ct, facts: form);
    }

    /// <summary>Records the notification to the authority.</summary>
    public async Task<IActionResult> OnPostAuthorityAsync(long id, [FromForm] string? status, [FromForm] string? notifiedAt, [FromForm] string? reference, [FromForm] string? reason, CancellationToken ct)
    {
        var result = await breaches.SetAuthorityAsync(Organisation.Id, id, new AuthorityInput(status, notifiedAt, reference, reason), Person.Email, ct);
        if (result.IsOk)
            return LocalRedirect(OrgUrl("breaches/" + id) + "?done=authority");
        return await RefusedAsync(id, "authority", result.Code!, result.Reason!, ct);
    }

    /// <summary>Sends the notice and opens its progress.</summary>
    public async Task<IActionResult> OnPostNotifyAsync(long id, [FromForm] NoticeForm notice, IFormFile? file, CancellationToken ct)
    {
        // The file's lines first (so a problem's line number is the file's), then any typed ones.
        var lines = new List<string>();
        if (file is { Length: > 0 })
        {
            using var reader = new StreamReader(file.OpenReadStream(), detectEncodingFromByteOrderMarks: true);
            while (await reader.ReadLineAsync(ct) is { } line)
                lines.Add(line);
        }
        if (!string.IsNullOrWhiteSpace(notice.Addresses))
            lines.AddRange(notice.Addresses.Split('\n'));
        string? segment = null;
        if (notice.Audience == BreachAudiences.Segment)
            segment = new SegmentForm { Match = notice.Match ?? "all", Rows = notice.Rows ?? [] }.ToJson().Json is { Length: > 0 } json ? json : "";
        var input = new NoticeInput(notice.Audience, notice.ListIds, segment, lines, notice.Language, notice.MessageFi, notice.MessageEn);
        var result = await breaches.NotifyAsync(Organisation.Id, id, input, Person.Email, ct);
        if (result.IsOk)
            return LocalRedirect(OrgUrl($"breaches/{id}/notices/{result.Value!.Id}"));
        return await RefusedAsync(id, "notify", result.Code!, result.Reason!, ct, notice: notice);
    }

    private async Task<IActionResult> RefusedAsync(long id, string form, string code, string reason, CancellationToken ct, BreachBody? facts = null, NoticeForm? notice = null)
    {
        if (code == "not_found" || !await LoadAsync(id, ct))
            return NotFoundPage("breach");
        Form = facts ?? BreachForm.From(Breach, breaches);
        Notice = notice ?? new NoticeForm { MessageFi = BreachView.Draft(Breach, "fi"), MessageEn = BreachView.Draft(Breach, "en") };
        ErrorField = code;
        ErrorForm = form;
        Refuse(AdminText.Sentence(code + " " + reason));
        return Page();
    }
}

/// <summary>The notice form: whom (everyone, lists, a segment of up to three conditions, or addresses), the language of unknown addresses, the texts.</summary>
public sealed class NoticeForm
{
    public string? Audience { get; set; } = BreachAudiences.Lists;
    public long[]? ListIds { get; set; }
    public string? Match { get; set; } = "all";
    public List<SegmentRowForm>? Rows { get; set; }
    public string? Addresses { get; set; }
    public string? Language { get; set; } = Languages.Finnish;
    public string? MessageFi { get; set; }
    public string? MessageEn { get; set; }
}
