using System.Globalization;
using System.Text.Json;
using Lupa.Admin;
using Lupa.Campaigns;
using Lupa.Domain.Campaigns;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/campaigns/new and /admin/o/{org}/campaigns/{id}/edit: write a campaign, or change it
/// while it is a draft. The segment builder's buttons post the form back so the page shows the segment
/// in words and how many people it selects now; nothing typed is lost when the form is refused.
/// </summary>
public sealed class CampaignEditModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignService campaigns) : OrgPageModel(system, db, clock)
{
    /// <summary>The campaign's fields, bound as the API reads them; the segment comes from <see cref="Conditions"/>.</summary>
    [BindProperty]
    public CampaignInput Form { get; set; } = new();

    /// <summary>The segment builder.</summary>
    [BindProperty]
    public SegmentForm Conditions { get; set; } = new();

    /// <summary>The stored campaign, or null for a new one.</summary>
    public CampaignRow? Campaign { get; private set; }

    /// <summary>The organisation's lists, for the checkboxes.</summary>
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    /// <summary>The organisation's sender domains, named beside the sender address.</summary>
    public IReadOnlyList<SenderDomainRow> Domains { get; private set; } = [];

    /// <summary>Problems by form field (name, listIds, segment, fromName, fromAddress, replyTo, subject, preheader, bodyFormat, body).</summary>
    public Dictionary<string, string> Problems { get; } = [];

    /// <summary>Problems of segment rows, by row index.</summary>
    public Dictionary<int, string> RowProblems { get; } = [];

    /// <summary>The segment in words, when it is valid.</summary>
    public string? SegmentDescription { get; private set; }

    /// <summary>How many people the lists and segment select now; null when that cannot be said yet.</summary>
    public long? SelectionCount { get; private set; }

    /// <summary>True when the campaign is no longer a draft, so it cannot change.</summary>
    public bool Locked => Campaign is not null && Campaign.Status != CampaignStatus.Draft;

    /// <summary>True when the form is shown without buttons: a role that may not edit, or a campaign past draft.</summary>
    public bool ReadOnly => !CanEdit || Locked;

    /// <summary>The problem of a field, or null.</summary>
    public string? Problem(string field) => Problems.GetValueOrDefault(field);

    /// <summary>"true" for aria-invalid when the field has a problem, else null (no attribute).</summary>
    public string? Invalid(string field) => Problems.ContainsKey(field) ? "true" : null;

    /// <summary>Shows the form: empty for a new campaign, filled for a stored one.</summary>
    public async Task<IActionResult> OnGetAsync(long? id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
            return NotFoundPage("campaign");
        if (Campaign is null && !CanEdit)
            return ForbiddenPage("Your role may view campaigns but not write them.");
        Form = Campaign is null ? new CampaignInput { FromName = Organisation.Name } : SegmentForm.Input(Campaign);
        Conditions = SegmentForm.From(Campaign?.Segment);
        if (Campaign is not null)
            await DescribeSegmentAsync(showProblems: false, ct);
        return Page();
    }

    /// <summary>
    /// Saves the draft; or, for the segment builder's buttons (<paramref name="command"/> "refresh" or
    /// "remove:N"), shows the form again with the segment described and counted, saving nothing.
    /// </summary>
    public async Task<IActionResult> OnPostAsync(long? id, [FromForm] string? command, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
            return NotFoundPage("campaign");
        if (DenyUnlessEdit() is { } denied)
            return denied;
        if (command is not null && command.StartsWith("remove:", StringComparison.Ordinal)
            && int.TryParse(command["remove:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var remove) && remove < Conditions.Rows.Count)
            Conditions.Rows.RemoveAt(remove);
        // Blank rows go; the page adds one empty row for the next condition.
        Conditions.Rows = Conditions.Rows.Where(r => !r.IsBlank).ToList();
        if (command is not (null or "save"))
        {
            await DescribeSegmentAsync(showProblems: true, ct);
            return Page();
        }
        if (Locked)
        {
            Refuse(CampaignStatus.After(Campaign!.Status, CampaignStatus.Action.Edit).Reason!, StatusCodes.Status409Conflict);
            return Page();
        }
        var (json, rowOf) = Conditions.ToJson();
        Form.Segment = json;
        // Browsers send a textarea's line breaks as CR LF.
        Form.Body = Form.Body?.ReplaceLineEndings("\n");
        var (fields, problems) = await campaigns.ValidateAsync(Organisation.Id, Form, ct);
        if (fields is null)
        {
            foreach (var p in problems)
                AddProblem(p.Field, p.Message, rowOf);
            await DescribeSegmentAsync(showProblems: false, ct);
            Refuse(problems.Count == 1 ? "The campaign was not saved: correct the field marked below." : $"The campaign was not saved: correct the {problems.Count} fields marked below.");
            return Page();
        }
        var store = campaigns.For(Organisation.Id);
        if (Campaign is null)
        {
            var created = await store.CreateAsync(fields, Now(), ct);
            return LocalRedirect(OrgUrl("campaigns/" + created) + "?done=saved");
        }
        if (!await store.UpdateAsync(Campaign.Id, fields, Now(), ct))
        {
            Refuse("The campaign is no longer a draft; it was not changed.", StatusCodes.Status409Conflict);
            return Page();
        }
        return LocalRedirect(OrgUrl("campaigns/" + Campaign.Id) + "?done=saved");
    }

    private void AddProblem(string field, string message, IReadOnlyList<int> rowOf)
    {
        if (field == "segment" && SegmentForm.RowProblem(message, rowOf) is { } row)
        {
            RowProblems.TryAdd(row.Row, row.Message);
            return;
        }
        message = AdminText.Sentence(message);
        Problems[field] = Problems.TryGetValue(field, out var earlier) ? earlier + " " + message : message;
    }

    // The description and count of the segment the form holds now, for the lists ticked.
    private async Task DescribeSegmentAsync(bool showProblems, CancellationToken ct)
    {
        var (json, rowOf) = Conditions.ToJson();
        var segment = Segment.Parse(json);
        if (!segment.IsOk)
        {
            if (showProblems)
                AddProblem("segment", segment.Reason!, rowOf);
            return;
        }
        SegmentDescription = segment.Value!.Describe("en");
        var known = Lists.Select(l => l.Id).ToHashSet();
        var lists = (Form.ListIds ?? []).Where(known.Contains).Distinct().ToArray();
        if (lists.Length == 0)
            return;
        var selection = new CampaignRow { OrgId = Organisation.Id, ListIds = JsonSerializer.Serialize(lists), Segment = json };
        SelectionCount = await campaigns.For(Organisation.Id).CountSelectionAsync(selection, segment.Value, Now(), ct);
    }

    private async Task<bool> LoadAsync(long? id, CancellationToken ct)
    {
        if (id is { } campaignId && (Campaign = await campaigns.For(Organisation.Id).GetAsync(campaignId, ct)) is null)
            return false;
        Lists = await Store.ListListsAsync(ct);
        Domains = await campaigns.For(Organisation.Id).ListSenderDomainsAsync(ct);
        return true;
    }
}
