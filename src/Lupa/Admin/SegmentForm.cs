using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Campaigns;
using Lupa.Domain.Campaigns;
using Lupa.Storage;

namespace Lupa.Admin;

/// <summary>One row of the segment builder: a field (an attribute's name typed beside it), an operator and a value.</summary>
public sealed class SegmentRowForm
{
    /// <summary>The choice in the field select: email, name, language, <see cref="SegmentForm.AttributeChoice"/> or a date field; empty for an unused row.</summary>
    public string? Field { get; set; }

    /// <summary>The attribute's name when <see cref="Field"/> is <see cref="SegmentForm.AttributeChoice"/>.</summary>
    public string? Key { get; set; }

    /// <summary>One of <see cref="SegmentOps"/>.</summary>
    public string? Op { get; set; }

    /// <summary>What the field is compared with; unused by is_set and is_not_set.</summary>
    public string? Value { get; set; }

    /// <summary>True when nothing was chosen or typed, so the row is left out.</summary>
    public bool IsBlank => string.IsNullOrWhiteSpace(Field) && string.IsNullOrWhiteSpace(Key) && string.IsNullOrWhiteSpace(Value);
}

/// <summary>
/// The campaign editor's segment builder: match all or any, and rows of conditions, assembled here into
/// the segment JSON that <see cref="CampaignService.ValidateAsync"/> checks as it does for the API.
/// </summary>
public sealed partial class SegmentForm
{
    /// <summary>The field select's value for an attribute; the name is typed in <see cref="SegmentRowForm.Key"/>.</summary>
    public const string AttributeChoice = "attribute";

    /// <summary>The field select's choices and their labels.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> FieldChoices =
    [
        (SegmentFields.Email, "email"),
        (SegmentFields.Name, "name"),
        (SegmentFields.Language, "language"),
        (AttributeChoice, "attribute…"),
        (SegmentFields.SubscriberCreatedAt, "added (subscriber created)"),
        (SegmentFields.SubscriptionCreatedAt, "subscribed (subscription created)"),
        (SegmentFields.SubscriptionConfirmedAt, "confirmed (subscription confirmed)"),
    ];

    /// <summary>Every operator with its label, in the order the select shows them.</summary>
    public static readonly IReadOnlyList<(string Value, string Label)> OpChoices =
    [
        (SegmentOps.Eq, "is"),
        (SegmentOps.Neq, "is not"),
        (SegmentOps.Contains, "contains"),
        (SegmentOps.NotContains, "does not contain"),
        (SegmentOps.StartsWith, "starts with"),
        (SegmentOps.EndsWith, "ends with"),
        (SegmentOps.IsSet, "is set"),
        (SegmentOps.IsNotSet, "is not set"),
        (SegmentOps.Gt, "is greater than (number)"),
        (SegmentOps.Lt, "is less than (number)"),
        (SegmentOps.Before, "before (date)"),
        (SegmentOps.After, "after (date)"),
        (SegmentOps.WithinDays, "within the last … days"),
        (SegmentOps.NotWithinDays, "more than … days ago"),
    ];

    /// <summary>The operators a field choice allows, for the page's script to narrow the select.</summary>
    public static IReadOnlyList<string> OpsFor(string field) =>
        field == AttributeChoice ? SegmentOps.Attribute : SegmentFields.IsDate(field) ? SegmentOps.Date : SegmentOps.Text;

    /// <summary>all or any.</summary>
    public string Match { get; set; } = "all";

    /// <summary>The rows, blank ones included.</summary>
    public List<SegmentRowForm> Rows { get; set; } = [];

    /// <summary>The builder filled from a stored segment's JSON.</summary>
    public static SegmentForm From(string? segmentJson)
    {
        var segment = Segment.Parse(segmentJson).Value ?? Segment.Empty;
        return new SegmentForm
        {
            Match = segment.Match == SegmentMatch.Any ? "any" : "all",
            Rows = segment.Conditions.Select(k => k.AttributeKey is { } key
                ? new SegmentRowForm { Field = AttributeChoice, Key = key, Op = k.Op, Value = k.Value }
                : new SegmentRowForm { Field = k.Field, Op = k.Op, Value = k.Value }).ToList(),
        };
    }

    /// <summary>What the editor shows for a stored campaign: its fields, the segment as JSON (the builder shows it as rows).</summary>
    public static CampaignInput Input(CampaignRow c) => new()
    {
        Name = c.Name,
        ListIds = c.ListIdArray(),
        Segment = c.Segment,
        FromName = c.FromName,
        FromAddress = c.FromAddress,
        ReplyTo = c.ReplyTo,
        Subject = c.Subject,
        Preheader = c.Preheader,
        Body = c.Body,
        BodyFormat = c.BodyFormat,
    };

    /// <summary>
    /// The segment JSON of the rows that are not blank ("" when none is left, which is everyone),
    /// and for each condition in it the index of the row it came from.
    /// </summary>
    public (string Json, IReadOnlyList<int> RowOf) ToJson()
    {
        var used = Enumerable.Range(0, Rows.Count).Where(i => !Rows[i].IsBlank).ToList();
        if (used.Count == 0)
            return ("", used);
        var conditions = used.Select(i => Rows[i]).Select(r => new
        {
            field = r.Field == AttributeChoice ? SegmentFields.AttributePrefix + (r.Key ?? "").Trim() : (r.Field ?? "").Trim(),
            op = string.IsNullOrWhiteSpace(r.Op) ? null : r.Op.Trim(),
            value = r.Op is not null && SegmentOps.TakesNoValue(r.Op.Trim()) ? null : (r.Value ?? "").Trim(),
        });
        return (JsonSerializer.Serialize(new { match = Match == "any" ? "any" : "all", conditions }), used);
    }

    /// <summary>
    /// The row a segment problem is about (<c>conditions[2].value: …</c>) and the problem as a
    /// sentence; null for a problem of the segment as a whole.
    /// </summary>
    public static (int Row, string Message)? RowProblem(string problem, IReadOnlyList<int> rowOf)
    {
        var m = ConditionProblem().Match(problem);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, out var index) || index >= rowOf.Count)
            return null;
        var part = m.Groups[2].Value switch
        {
            "field" => "field",
            "op" => "operator",
            "value" => "value",
            _ => "condition",
        };
        return (rowOf[index], AdminText.Sentence(part + " " + m.Groups[3].Value));
    }

    [GeneratedRegex(@"^conditions\[(\d+)\](?:\.(\w+))?:\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex ConditionProblem();
}
