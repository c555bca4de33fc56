using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lupa.Domain.Campaigns;

/// <summary>Whether a segment needs every condition to hold, or any one of them.</summary>
public enum SegmentMatch
{
    /// <summary>Every condition must hold ("all").</summary>
    All,

    /// <summary>At least one condition must hold ("any").</summary>
    Any,
}

/// <summary>The fields a segment condition can test, as written in the segment's JSON.</summary>
public static class SegmentFields
{
    public const string Email = "email";
    public const string Name = "name";
    public const string Language = "language";

    /// <summary>Prefix of an attribute field: <c>attributes.city</c> tests the attribute <c>city</c>.</summary>
    public const string AttributePrefix = "attributes.";

    public const string SubscriberCreatedAt = "subscriber.created_at";
    public const string SubscriptionCreatedAt = "subscription.created_at";
    public const string SubscriptionConfirmedAt = "subscription.confirmed_at";

    /// <summary>Longest attribute name a condition can name.</summary>
    public const int MaxAttributeKeyLength = 64;

    /// <summary>True for a date field (Unix milliseconds).</summary>
    public static bool IsDate(string field) => field is SubscriberCreatedAt or SubscriptionCreatedAt or SubscriptionConfirmedAt;

    /// <summary>
    /// True for a usable attribute name: 1 to 64 letters, digits, '_', '-' or '.'. Quotes, brackets,
    /// '$', spaces and the like are refused, so a name is never more than a literal key.
    /// </summary>
    public static bool IsAttributeKey(string key)
    {
        if (key.Length is 0 or > MaxAttributeKeyLength)
            return false;
        foreach (var c in key)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-' or '.'))
                return false;
        }
        return true;
    }
}

/// <summary>The operators of segment conditions, as written in the segment's JSON.</summary>
public static class SegmentOps
{
    public const string Eq = "eq";
    public const string Neq = "neq";
    public const string Contains = "contains";
    public const string NotContains = "not_contains";
    public const string StartsWith = "starts_with";
    public const string EndsWith = "ends_with";
    public const string IsSet = "is_set";
    public const string IsNotSet = "is_not_set";
    public const string Gt = "gt";
    public const string Lt = "lt";
    public const string Before = "before";
    public const string After = "after";
    public const string WithinDays = "within_days";
    public const string NotWithinDays = "not_within_days";

    /// <summary>Operators of email, name and language.</summary>
    public static readonly IReadOnlyList<string> Text = [Eq, Neq, Contains, NotContains, StartsWith, EndsWith, IsSet, IsNotSet];

    /// <summary>Operators of attributes: the text ones and the numeric comparisons.</summary>
    public static readonly IReadOnlyList<string> Attribute = [.. Text, Gt, Lt];

    /// <summary>Operators of the date fields.</summary>
    public static readonly IReadOnlyList<string> Date = [Before, After, WithinDays, NotWithinDays];

    /// <summary>True for the operators that take no value.</summary>
    public static bool TakesNoValue(string op) => op is IsSet or IsNotSet;
}

/// <summary>
/// What a segment is evaluated against: one subscriber and one of their subscriptions. Missing text
/// (a null, or an attribute not present) counts as the empty string; dates are Unix milliseconds.
/// </summary>
/// <param name="Email">The address.</param>
/// <param name="Name">The name; empty when none.</param>
/// <param name="Language">The language code.</param>
/// <param name="Attributes">Attribute names (case-sensitive) and their values.</param>
/// <param name="SubscriberCreatedAt">When the subscriber was added.</param>
/// <param name="SubscriptionCreatedAt">When the subscription was created.</param>
/// <param name="SubscriptionConfirmedAt">When the subscription was confirmed; null if never.</param>
public sealed record SegmentFacts(
    string Email,
    string Name,
    string Language,
    IReadOnlyDictionary<string, string> Attributes,
    long? SubscriberCreatedAt,
    long? SubscriptionCreatedAt,
    long? SubscriptionConfirmedAt);

/// <summary>
/// One condition of a segment, already checked: its value is well-formed for its operator. Only
/// <see cref="Segment.Parse"/> makes them.
/// </summary>
public sealed class SegmentCondition
{
    internal SegmentCondition(string field, string op, string? value, double? number, long? instantMs, int? days)
    {
        Field = field;
        Op = op;
        Value = value;
        Number = number;
        InstantMs = instantMs;
        Days = days;
    }

    /// <summary>The field, e.g. <c>email</c> or <c>attributes.city</c>.</summary>
    public string Field { get; }

    /// <summary>The operator, one of <see cref="SegmentOps"/>.</summary>
    public string Op { get; }

    /// <summary>The value as written; null for is_set and is_not_set.</summary>
    public string? Value { get; }

    /// <summary>The attribute name when the field is <c>attributes.NAME</c>, else null.</summary>
    public string? AttributeKey => Field.StartsWith(SegmentFields.AttributePrefix, StringComparison.Ordinal) ? Field[SegmentFields.AttributePrefix.Length..] : null;

    /// <summary>True when the field is one of the dates.</summary>
    public bool IsDate => SegmentFields.IsDate(Field);

    /// <summary>The value case-folded as text operators compare it (see <see cref="Segment.FoldCase"/>).</summary>
    public string FoldedValue => Segment.FoldCase(Value ?? "");

    /// <summary>The number of gt and lt.</summary>
    public double? Number { get; }

    /// <summary>The instant of before and after, Unix milliseconds.</summary>
    public long? InstantMs { get; }

    /// <summary>The days of within_days and not_within_days.</summary>
    public int? Days { get; }

    /// <summary>
    /// For within_days and not_within_days: the instant <see cref="Days"/> days before now. Within
    /// means at or after it, not within means before it.
    /// </summary>
    public long DaysThresholdMs(long nowMs) => nowMs - (Days ?? 0) * Segment.DayMs;

    /// <summary>Whether the condition holds for the facts; see <see cref="Segment"/> for the rules.</summary>
    public bool Matches(SegmentFacts facts, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (IsDate)
        {
            var at = Field switch
            {
                SegmentFields.SubscriberCreatedAt => facts.SubscriberCreatedAt,
                SegmentFields.SubscriptionCreatedAt => facts.SubscriptionCreatedAt,
                _ => facts.SubscriptionConfirmedAt,
            };
            if (at is not { } t)
                return false;
            return Op switch
            {
                SegmentOps.Before => t < InstantMs,
                SegmentOps.After => t > InstantMs,
                SegmentOps.WithinDays => t >= DaysThresholdMs(nowMs),
                _ => t < DaysThresholdMs(nowMs),
            };
        }

        var text = Field switch
        {
            SegmentFields.Email => facts.Email,
            SegmentFields.Name => facts.Name,
            SegmentFields.Language => facts.Language,
            _ => facts.Attributes is not null && facts.Attributes.TryGetValue(AttributeKey!, out var v) ? v : null,
        } ?? "";
        switch (Op)
        {
            case SegmentOps.IsSet:
                return text.Length > 0;
            case SegmentOps.IsNotSet:
                return text.Length == 0;
            case SegmentOps.Gt:
                return Segment.TryParseNumber(text, out var g) && g > Number;
            case SegmentOps.Lt:
                return Segment.TryParseNumber(text, out var l) && l < Number;
        }
        var folded = Segment.FoldCase(text);
        var value = FoldedValue;
        return Op switch
        {
            SegmentOps.Eq => folded == value,
            SegmentOps.Neq => folded != value,
            SegmentOps.Contains => folded.Contains(value, StringComparison.Ordinal),
            SegmentOps.NotContains => !folded.Contains(value, StringComparison.Ordinal),
            SegmentOps.StartsWith => folded.StartsWith(value, StringComparison.Ordinal),
            _ => folded.EndsWith(value, StringComparison.Ordinal),
        };
    }
}

/// <summary>
/// Which subscribers of a list a campaign goes to: conditions on subscriber fields, attributes and
/// subscription dates, stored as JSON (never as SQL). The rules, which <c>SegmentSql</c> repeats in SQL:
/// <list type="bullet">
/// <item>Text operators compare case-insensitively for ASCII letters only (A-Z fold to a-z; other
/// characters compare exactly, without Unicode case folding or normalisation).</item>
/// <item>A missing attribute is the empty string: is_not_set, neq and not_contains hold for it; eq,
/// contains, starts_with and ends_with do not.</item>
/// <item>gt and lt compare as double-precision numbers, and hold only when the attribute is a number
/// written as an optional '-', digits and optionally '.' and digits, at most 100 characters (no
/// spaces, '+', exponents or thousands separators).</item>
/// <item>A missing date (a subscription never confirmed) satisfies no date operator. before and
/// after are strict; a date without a time means midnight UTC. within_days N holds for dates at or
/// after now minus N days (future dates included); not_within_days N for dates before that.</item>
/// <item>No conditions means everyone.</item>
/// </list>
/// </summary>
public sealed partial class Segment
{
    /// <summary>Most conditions a segment may have.</summary>
    public const int MaxConditions = 50;

    /// <summary>Longest value a condition may have.</summary>
    public const int MaxValueLength = 500;

    /// <summary>Most days within_days and not_within_days accept (about a century).</summary>
    public const int MaxDays = 36500;

    /// <summary>Longest text gt and lt treat as a number.</summary>
    public const int MaxNumberLength = 100;

    /// <summary>Longest segment JSON read.</summary>
    public const int MaxJsonLength = 100_000;

    /// <summary>The code of every parse failure.</summary>
    public const string InvalidCode = "invalid_segment";

    internal const long DayMs = 86_400_000;

    private Segment(SegmentMatch match, IReadOnlyList<SegmentCondition> conditions)
    {
        Match = match;
        Conditions = conditions;
    }

    /// <summary>The segment of everyone.</summary>
    public static Segment Empty { get; } = new(SegmentMatch.All, []);

    /// <summary>Whether all or any of the conditions must hold.</summary>
    public SegmentMatch Match { get; }

    /// <summary>The conditions, in order.</summary>
    public IReadOnlyList<SegmentCondition> Conditions { get; }

    /// <summary>True when there are no conditions, so the segment is everyone.</summary>
    public bool IsEmpty => Conditions.Count == 0;

    /// <summary>Whether the facts belong to the segment at the given time (Unix milliseconds).</summary>
    public bool Matches(SegmentFacts facts, long nowMs)
    {
        if (IsEmpty)
            return true;
        foreach (var c in Conditions)
        {
            var holds = c.Matches(facts, nowMs);
            if (holds && Match == SegmentMatch.Any)
                return true;
            if (!holds && Match == SegmentMatch.All)
                return false;
        }
        return Match == SegmentMatch.All;
    }

    /// <summary>Lower-cases ASCII letters A-Z and leaves every other character as it is.</summary>
    public static string FoldCase(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAnyInRange('A', 'Z'))
            return text;
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
                span[i] = source[i] is >= 'A' and <= 'Z' ? (char)(source[i] + 32) : source[i];
        });
    }

    /// <summary>Reads a number as gt and lt accept it: -?digits(.digits)?, at most 100 characters.</summary>
    public static bool TryParseNumber(string? text, out double value)
    {
        value = 0;
        if (text is null || text.Length is 0 or > MaxNumberLength)
            return false;
        var i = text[0] == '-' ? 1 : 0;
        var digits = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
            i++;
        if (i == digits)
            return false;
        if (i < text.Length)
        {
            if (text[i] != '.')
                return false;
            var fraction = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
                i++;
            if (i == fraction || i != text.Length)
                return false;
        }
        return double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex DateShape();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeShape();

    private static readonly string[] DateTimeFormats = ["yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    /// <summary>Reads a date (midnight UTC) or a date and time with an offset, as Unix milliseconds.</summary>
    public static bool TryParseInstant(string? text, out long unixMs)
    {
        unixMs = 0;
        if (text is null)
            return false;
        DateTimeOffset at;
        if (DateShape().IsMatch(text))
        {
            if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
                return false;
            at = new DateTimeOffset(date, TimeSpan.Zero);
        }
        else if (DateTimeShape().IsMatch(text))
        {
            var withOffset = text.EndsWith('Z') ? text[..^1] + "+00:00" : text;
            if (!DateTimeOffset.TryParseExact(withOffset, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out at))
                return false;
        }
        else
        {
            return false;
        }
        unixMs = at.ToUnixTimeMilliseconds();
        return true;
    }

    /// <summary>
    /// Reads a segment's JSON. Null, empty or blank text is the empty segment. A failure's reason
    /// names where the problem is, e.g. <c>conditions[2].op: 'like' is not one of eq, neq, …</c>.
    /// </summary>
    public static Outcome<Segment> Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return Outcome<Segment>.Ok(Empty);
        if (json.Length > MaxJsonLength)
            return Fail("segment", $"is longer than {MaxJsonLength} characters");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            return Fail("segment", "is not valid JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Fail("segment", "must be a JSON object with match and conditions");
            var match = SegmentMatch.All;
            var conditions = new List<SegmentCondition>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    return Fail(property.Name, "appears twice");
                switch (property.Name)
                {
                    case "match":
                        var m = ReadString(property.Value, out var text) ? text : null;
                        if (m is "all")
                            match = SegmentMatch.All;
                        else if (m is "any")
                            match = SegmentMatch.Any;
                        else
                            return Fail("match", $"{Show(property.Value)} is not one of all, any");
                        break;
                    case "conditions":
                        if (property.Value.ValueKind is JsonValueKind.Null)
                            break;
                        if (property.Value.ValueKind != JsonValueKind.Array)
                            return Fail("conditions", "must be an array");
                        var count = property.Value.GetArrayLength();
                        if (count > MaxConditions)
                            return Fail("conditions", $"has {count} conditions; at most {MaxConditions} are allowed");
                        var index = 0;
                        foreach (var element in property.Value.EnumerateArray())
                        {
                            var condition = ReadCondition(element, $"conditions[{index}]");
                            if (!condition.IsOk)
                                return Outcome<Segment>.Fail(condition.Code!, condition.Reason!);
                            conditions.Add(condition.Value!);
                            index++;
                        }
                        break;
                    default:
                        return Fail(property.Name, "is not a property of a segment (match, conditions)");
                }
            }
            return Outcome<Segment>.Ok(conditions.Count == 0 && match == SegmentMatch.All ? Empty : new Segment(match, conditions));
        }
    }

    private static Outcome<SegmentCondition> ReadCondition(JsonElement element, string at)
    {
        if (element.ValueKind != JsonValueKind.Object)
            return Fail<SegmentCondition>(at, "must be an object with field, op and value");
        string? field = null, op = null, value = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var where = $"{at}.{property.Name}";
            if (!seen.Add(property.Name))
                return Fail<SegmentCondition>(where, "appears twice");
            if (property.Name is not ("field" or "op" or "value"))
                return Fail<SegmentCondition>(where, "is not a property of a condition (field, op, value)");
            if (property.Value.ValueKind == JsonValueKind.Null)
                continue;
            if (!ReadString(property.Value, out var text))
                return Fail<SegmentCondition>(where, property.Value.ValueKind == JsonValueKind.String ? "is not valid text" : "must be a string");
            if (property.Name == "field")
                field = text;
            else if (property.Name == "op")
                op = text;
            else
                value = text;
        }
        return Check(at, field, op, value);
    }

    private static Outcome<SegmentCondition> Check(string at, string? field, string? op, string? value)
    {
        if (string.IsNullOrEmpty(field))
            return Fail<SegmentCondition>(at + ".field", "is required");
        IReadOnlyList<string> ops;
        if (field is SegmentFields.Email or SegmentFields.Name or SegmentFields.Language)
        {
            ops = SegmentOps.Text;
        }
        else if (SegmentFields.IsDate(field))
        {
            ops = SegmentOps.Date;
        }
        else if (field.StartsWith(SegmentFields.AttributePrefix, StringComparison.Ordinal))
        {
            if (!SegmentFields.IsAttributeKey(field[SegmentFields.AttributePrefix.Length..]))
                return Fail<SegmentCondition>(at + ".field", $"{Quote(field)}: an attribute name is 1 to {SegmentFields.MaxAttributeKeyLength} letters, digits, '_', '-' or '.'");
            ops = SegmentOps.Attribute;
        }
        else
        {
            return Fail<SegmentCondition>(at + ".field", $"{Quote(field)} is not one of email, name, language, attributes.NAME, {SegmentFields.SubscriberCreatedAt}, {SegmentFields.SubscriptionCreatedAt}, {SegmentFields.SubscriptionConfirmedAt}");
        }

        if (string.IsNullOrEmpty(op))
            return Fail<SegmentCondition>(at + ".op", $"is required for {field}: one of {string.Join(", ", ops)}");
        if (!ops.Contains(op))
            return Fail<SegmentCondition>(at + ".op", $"{Quote(op)} is not one of {string.Join(", ", ops)} (for {field})");

        var where = at + ".value";
        if (SegmentOps.TakesNoValue(op))
        {
            if (!string.IsNullOrEmpty(value))
                return Fail<SegmentCondition>(where, $"{op} takes no value");
            return Outcome<SegmentCondition>.Ok(new SegmentCondition(field, op, null, null, null, null));
        }
        if (string.IsNullOrEmpty(value))
            return Fail<SegmentCondition>(where, $"is required for {op}");
        if (TextRules.SingleLineProblem(value, MaxValueLength) is { } problem)
            return Fail<SegmentCondition>(where, problem);
        switch (op)
        {
            case SegmentOps.Gt or SegmentOps.Lt:
                if (!TryParseNumber(value, out var number))
                    return Fail<SegmentCondition>(where, $"{op} needs a number such as 42 or -3.5, not {Quote(value)}");
                return Outcome<SegmentCondition>.Ok(new SegmentCondition(field, op, value, number, null, null));
            case SegmentOps.Before or SegmentOps.After:
                if (!TryParseInstant(value, out var instant))
                    return Fail<SegmentCondition>(where, $"{op} needs a date such as 2026-01-31 or a date and time with an offset such as 2026-01-31T09:00:00+02:00, not {Quote(value)}");
                return Outcome<SegmentCondition>.Ok(new SegmentCondition(field, op, value, null, instant, null));
            case SegmentOps.WithinDays or SegmentOps.NotWithinDays:
                if (value.Length > 5 || !value.All(char.IsAsciiDigit) || int.Parse(value, CultureInfo.InvariantCulture) is < 1 or > MaxDays)
                    return Fail<SegmentCondition>(where, $"{op} needs a whole number of days from 1 to {MaxDays}, not {Quote(value)}");
                var days = int.Parse(value, CultureInfo.InvariantCulture);
                return Outcome<SegmentCondition>.Ok(new SegmentCondition(field, op, days.ToString(CultureInfo.InvariantCulture), null, null, days));
            default:
                return Outcome<SegmentCondition>.Ok(new SegmentCondition(field, op, value, null, null, null));
        }
    }

    /// <summary>The canonical JSON: match, then conditions with field, op and (unless it takes none) value.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("match", Match == SegmentMatch.All ? "all" : "any");
            writer.WriteStartArray("conditions");
            foreach (var c in Conditions)
            {
                writer.WriteStartObject();
                writer.WriteString("field", c.Field);
                writer.WriteString("op", c.Op);
                if (c.Value is not null)
                    writer.WriteString("value", c.Value);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// A sentence for people, e.g. "city is Helsinki and confirmed within the last 30 days". English
    /// only for now: <paramref name="language"/> is accepted for when there are more.
    /// </summary>
    public string Describe(string language)
    {
        if (IsEmpty)
            return "everyone";
        var joiner = Match == SegmentMatch.All ? " and " : " or ";
        return string.Join(joiner, Conditions.Select(DescribeCondition));
    }

    private static string DescribeCondition(SegmentCondition c)
    {
        if (c.IsDate)
        {
            var verb = c.Field switch
            {
                SegmentFields.SubscriberCreatedAt => "added",
                SegmentFields.SubscriptionCreatedAt => "subscribed",
                _ => "confirmed",
            };
            var days = c.Days == 1 ? "day" : $"{c.Days} days";
            return c.Op switch
            {
                SegmentOps.Before => $"{verb} before {c.Value}",
                SegmentOps.After => $"{verb} after {c.Value}",
                SegmentOps.WithinDays => $"{verb} within the last {days}",
                _ => $"{verb} more than {(c.Days == 1 ? "1 day" : days)} ago",
            };
        }
        var subject = c.AttributeKey ?? c.Field;
        var value = ShowValue(c.Value ?? "");
        return c.Op switch
        {
            SegmentOps.Eq => $"{subject} is {value}",
            SegmentOps.Neq => $"{subject} is not {value}",
            SegmentOps.Contains => $"{subject} contains {value}",
            SegmentOps.NotContains => $"{subject} does not contain {value}",
            SegmentOps.StartsWith => $"{subject} starts with {value}",
            SegmentOps.EndsWith => $"{subject} ends with {value}",
            SegmentOps.IsSet => $"{subject} is set",
            SegmentOps.IsNotSet => $"{subject} is not set",
            SegmentOps.Gt => $"{subject} is greater than {value}",
            _ => $"{subject} is less than {value}",
        };
    }

    // Plain words stay plain ("Helsinki"); anything a reader could misjoin with the sentence is quoted.
    private static string ShowValue(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || c is '"' or ',') ? "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : value;

    private static bool ReadString(JsonElement element, out string text)
    {
        text = "";
        if (element.ValueKind != JsonValueKind.String)
            return false;
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            // Escapes that make invalid UTF-16, such as a lone surrogate.
            return false;
        }
    }

    private static string Show(JsonElement element) =>
        element.ValueKind == JsonValueKind.String && ReadString(element, out var text) ? Quote(text) : element.ValueKind.ToString().ToLowerInvariant();

    private static string Quote(string text) => "'" + (text.Length > 60 ? text[..60] + "…" : text) + "'";

    private static Outcome<Segment> Fail(string where, string reason) => Outcome<Segment>.Fail(InvalidCode, $"{where}: {reason}");

    private static Outcome<T> Fail<T>(string where, string reason) => Outcome<T>.Fail(InvalidCode, $"{where}: {reason}");
}
