using Lupa.Domain.Campaigns;

namespace Lupa.Domain.Tests;

public sealed class SegmentTests
{
    private static readonly long Now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Day = 86_400_000;

    private static Segment Ok(string json)
    {
        var parsed = Segment.Parse(json);
        Assert.True(parsed.IsOk, parsed.Reason);
        return parsed.Value!;
    }

    private static string One(string field, string op, string? value = null) =>
        value is null
            ? $$"""{"match":"all","conditions":[{"field":"{{field}}","op":"{{op}}"}]}"""
            : $$"""{"match":"all","conditions":[{"field":"{{field}}","op":"{{op}}","value":{{System.Text.Json.JsonSerializer.Serialize(value)}}}]}""";

    private static SegmentFacts Facts(
        string email = "Anna.Virtanen@Example.FI",
        string name = "Anna Virtanen",
        string language = "fi",
        Dictionary<string, string>? attributes = null,
        long? subscriberCreated = null,
        long? subscriptionCreated = null,
        long? confirmed = null) =>
        new(email, name, language, attributes ?? new Dictionary<string, string> { ["city"] = "Helsinki", ["age"] = "42" },
            subscriberCreated ?? Now - 100 * Day, subscriptionCreated ?? Now - 40 * Day, confirmed);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{}")]
    [InlineData("""{"match":"all","conditions":[]}""")]
    public void Nothing_to_parse_is_the_empty_segment_of_everyone(string? json)
    {
        var segment = Ok(json!);
        Assert.True(segment.IsEmpty);
        Assert.True(segment.Matches(Facts(), Now));
        Assert.Equal("everyone", segment.Describe("en"));
    }

    [Theory]
    [InlineData("""{"conditions":[{"field":"email","op":"like","value":"x"}]}""", "conditions[0].op: 'like' is not one of eq, neq, contains, not_contains, starts_with, ends_with, is_set, is_not_set")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":"a"},{"field":"name","op":"eq","value":"b"},{"field":"email","op":"gt","value":"1"}]}""", "conditions[2].op: 'gt' is not one of")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"eq","value":"x"}]}""", "conditions[0].op: 'eq' is not one of before, after, within_days, not_within_days")]
    [InlineData("""{"conditions":[{"field":"phone","op":"eq","value":"x"}]}""", "conditions[0].field: 'phone' is not one of")]
    [InlineData("""{"conditions":[{"field":"Email","op":"eq","value":"x"}]}""", "conditions[0].field: 'Email' is not one of")]
    [InlineData("""{"conditions":[{"op":"eq","value":"x"}]}""", "conditions[0].field: is required")]
    [InlineData("""{"conditions":[{"field":"email","value":"x"}]}""", "conditions[0].op: is required")]
    [InlineData("""{"conditions":[{"field":"attributes.","op":"eq","value":"x"}]}""", "conditions[0].field: 'attributes.': an attribute name")]
    [InlineData("""{"conditions":[{"field":"attributes.ci\"ty","op":"eq","value":"x"}]}""", "conditions[0].field: 'attributes.ci\"ty': an attribute name")]
    [InlineData("""{"conditions":[{"field":"attributes.city'","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.a[0]","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.$.city","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.a b","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.a\\b","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.city') OR 1=1 --","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"attributes.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","op":"eq","value":"x"}]}""", "conditions[0].field")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days","value":"thirty"}]}""", "conditions[0].value: within_days needs a whole number of days from 1 to 36500, not 'thirty'")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days","value":"-3"}]}""", "conditions[0].value: within_days needs a whole number")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days","value":"0"}]}""", "conditions[0].value: within_days needs a whole number")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"not_within_days","value":"1.5"}]}""", "conditions[0].value: not_within_days needs a whole number")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days","value":"36501"}]}""", "conditions[0].value: within_days needs a whole number")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days","value":30}]}""", "conditions[0].value: must be a string")]
    [InlineData("""{"conditions":[{"field":"subscription.confirmed_at","op":"within_days"}]}""", "conditions[0].value: is required for within_days")]
    [InlineData("""{"conditions":[{"field":"subscriber.created_at","op":"before","value":"31.1.2026"}]}""", "conditions[0].value: before needs a date")]
    [InlineData("""{"conditions":[{"field":"subscriber.created_at","op":"after","value":"2026-02-30"}]}""", "conditions[0].value: after needs a date")]
    [InlineData("""{"conditions":[{"field":"subscriber.created_at","op":"after","value":"2026-01-31T10:00:00"}]}""", "conditions[0].value: after needs a date")]
    [InlineData("""{"conditions":[{"field":"attributes.age","op":"gt","value":"forty"}]}""", "conditions[0].value: gt needs a number")]
    [InlineData("""{"conditions":[{"field":"attributes.age","op":"lt","value":"1e3"}]}""", "conditions[0].value: lt needs a number")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq"}]}""", "conditions[0].value: is required for eq")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":""}]}""", "conditions[0].value: is required for eq")]
    [InlineData("""{"conditions":[{"field":"email","op":"is_set","value":"x"}]}""", "conditions[0].value: is_set takes no value")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":"a\nb"}]}""", "conditions[0].value: must not contain line breaks")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":"a\u0000b"}]}""", "conditions[0].value: must not contain control characters")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":"\ud800"}]}""", "conditions[0].value: is not valid text")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","value":"x","extra":1}]}""", "conditions[0].extra: is not a property of a condition")]
    [InlineData("""{"conditions":[{"field":"email","op":"eq","op":"neq","value":"x"}]}""", "conditions[0].op: appears twice")]
    [InlineData("""{"conditions":["email = x"]}""", "conditions[0]: must be an object")]
    [InlineData("""{"match":"some","conditions":[]}""", "match: 'some' is not one of all, any")]
    [InlineData("""{"match":1}""", "match: number is not one of all, any")]
    [InlineData("""{"conditions":{}}""", "conditions: must be an array")]
    [InlineData("""{"where":"1=1"}""", "where: is not a property of a segment")]
    [InlineData("""[1,2]""", "segment: must be a JSON object")]
    [InlineData("""{"match":"all","conditions":[""", "segment: is not valid JSON")]
    [InlineData("""{"match":'all'}""", "segment: is not valid JSON")]
    [InlineData("""x' OR 1=1 --""", "segment: is not valid JSON")]
    public void Refusals_name_the_condition_and_its_field(string json, string expected)
    {
        var parsed = Segment.Parse(json);
        Assert.False(parsed.IsOk);
        Assert.Equal(Segment.InvalidCode, parsed.Code);
        Assert.StartsWith(expected, parsed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void At_most_fifty_conditions()
    {
        static string Many(int n) => """{"match":"any","conditions":[""" + string.Join(",", Enumerable.Repeat("""{"field":"email","op":"is_set"}""", n)) + "]}";
        Assert.True(Segment.Parse(Many(50)).IsOk);
        var parsed = Segment.Parse(Many(51));
        Assert.False(parsed.IsOk);
        Assert.StartsWith("conditions: has 51 conditions; at most 50", parsed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_longer_than_500_characters_are_refused()
    {
        Assert.True(Segment.Parse(One("name", "contains", new string('a', 500))).IsOk);
        var parsed = Segment.Parse(One("name", "contains", new string('a', 501)));
        Assert.Equal("conditions[0].value: must be at most 500 characters", parsed.Reason);
    }

    [Fact]
    public void Deeply_nested_json_is_refused_not_thrown()
    {
        var json = """{"conditions":[""" + new string('[', 200) + new string(']', 200) + "]}";
        Assert.False(Segment.Parse(json).IsOk);
    }

    [Fact]
    public void Canonical_json_round_trips()
    {
        const string json = """
            {
              "conditions": [
                {"value": "Helsinki", "op": "eq", "field": "attributes.city"},
                {"field": "subscription.confirmed_at", "op": "within_days", "value": "030"},
                {"field": "language", "op": "eq", "value": "fi"},
                {"field": "name", "op": "is_set", "value": null},
                {"field": "attributes.ikä", "op": "gt", "value": "-3.5"},
                {"field": "email", "op": "contains", "value": "50% \"off\" \\ ü"},
                {"field": "subscriber.created_at", "op": "before", "value": "2026-01-31T09:00:00+02:00"}
              ],
              "match": "any"
            }
            """;
        var segment = Ok(json);
        var canonical = segment.ToJson();
        Assert.StartsWith("""{"match":"any","conditions":[{"field":"attributes.city","op":"eq","value":"Helsinki"},{"field":"subscription.confirmed_at","op":"within_days","value":"30"},""", canonical, StringComparison.Ordinal);
        Assert.Contains("""{"field":"name","op":"is_set"}""", canonical, StringComparison.Ordinal);
        var again = Ok(canonical);
        Assert.Equal(canonical, again.ToJson());
        Assert.Equal(SegmentMatch.Any, again.Match);
        Assert.Equal(7, again.Conditions.Count);
        Assert.Equal("50% \"off\" \\ ü", again.Conditions[5].Value);
        Assert.Equal("ikä", again.Conditions[4].AttributeKey);
        Assert.Equal(-3.5, again.Conditions[4].Number);
        Assert.Equal(30, again.Conditions[1].Days);
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 7, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), again.Conditions[6].InstantMs);
    }

    [Fact]
    public void Describe_reads_as_a_sentence()
    {
        var segment = Ok("""
            {"match":"all","conditions":[
              {"field":"attributes.city","op":"eq","value":"Helsinki"},
              {"field":"subscription.confirmed_at","op":"within_days","value":"30"}]}
            """);
        Assert.Equal("city is Helsinki and confirmed within the last 30 days", segment.Describe("en"));
        var other = Ok("""
            {"match":"any","conditions":[
              {"field":"name","op":"not_contains","value":"New York"},
              {"field":"attributes.age","op":"gt","value":"18"},
              {"field":"email","op":"is_not_set"},
              {"field":"subscriber.created_at","op":"before","value":"2026-01-31"},
              {"field":"subscription.created_at","op":"not_within_days","value":"1"}]}
            """);
        Assert.Equal("name does not contain \"New York\" or age is greater than 18 or email is not set or added before 2026-01-31 or subscribed more than 1 day ago", other.Describe("fi"));
    }

    [Theory]
    // eq/neq: ASCII case folds, other letters do not.
    [InlineData("attributes.city", "eq", "HELSINKI", true)]
    [InlineData("attributes.city", "eq", "Hels", false)]
    [InlineData("attributes.city", "neq", "helsinki", false)]
    [InlineData("attributes.city", "neq", "Tampere", true)]
    [InlineData("attributes.town", "neq", "Tampere", true)]
    [InlineData("attributes.town", "eq", "Tampere", false)]
    [InlineData("email", "eq", "anna.virtanen@example.fi", true)]
    [InlineData("name", "eq", "ÖRJAN STRÖM", false)]
    [InlineData("name", "eq", "Örjan STRöM", true)]
    [InlineData("language", "eq", "FI", true)]
    // contains and friends take % _ \ literally.
    [InlineData("email", "contains", "@EXAMPLE.", true)]
    [InlineData("email", "contains", "%", false)]
    [InlineData("email", "not_contains", "@example.fi", false)]
    [InlineData("email", "not_contains", "gmail", true)]
    [InlineData("attributes.town", "not_contains", "x", true)]
    [InlineData("attributes.town", "contains", "x", false)]
    [InlineData("email", "starts_with", "anna.", true)]
    [InlineData("email", "starts_with", "virtanen", false)]
    [InlineData("email", "ends_with", ".FI", true)]
    [InlineData("email", "ends_with", "example", false)]
    [InlineData("attributes.discount", "contains", "50%", true)]
    [InlineData("attributes.discount", "contains", "0_", false)]
    [InlineData("attributes.discount", "ends_with", "_now\\", true)]
    // is_set: present and not empty.
    [InlineData("attributes.city", "is_set", null, true)]
    [InlineData("attributes.town", "is_set", null, false)]
    [InlineData("attributes.empty", "is_set", null, false)]
    [InlineData("attributes.empty", "is_not_set", null, true)]
    [InlineData("attributes.town", "is_not_set", null, true)]
    [InlineData("name", "is_set", null, true)]
    // gt/lt: numbers only.
    [InlineData("attributes.age", "gt", "41.5", true)]
    [InlineData("attributes.age", "gt", "42", false)]
    [InlineData("attributes.age", "lt", "100", true)]
    [InlineData("attributes.age", "lt", "-1", false)]
    [InlineData("attributes.padded", "gt", "6", true)]
    [InlineData("attributes.negative", "lt", "-2", true)]
    [InlineData("attributes.word", "gt", "-1000", false)]
    [InlineData("attributes.word", "lt", "1000", false)]
    [InlineData("attributes.exponent", "gt", "1", false)]
    [InlineData("attributes.spaced", "gt", "1", false)]
    [InlineData("attributes.town", "lt", "1000", false)]
    public void Text_and_number_operators(string field, string op, string? value, bool expected)
    {
        var facts = Facts(name: "Örjan Ström", attributes: new()
        {
            ["city"] = "Helsinki",
            ["age"] = "42",
            ["empty"] = "",
            ["discount"] = "50% off_now\\",
            ["padded"] = "007",
            ["negative"] = "-2.5",
            ["word"] = "many",
            ["exponent"] = "1e3",
            ["spaced"] = " 5",
        });
        Assert.Equal(expected, Ok(One(field, op, value)).Matches(facts, Now));
    }

    [Theory]
    [InlineData("subscription.confirmed_at", "within_days", "30", -30, true)]
    [InlineData("subscription.confirmed_at", "within_days", "30", -31, false)]
    [InlineData("subscription.confirmed_at", "within_days", "30", 2, true)]
    [InlineData("subscription.confirmed_at", "not_within_days", "30", -31, true)]
    [InlineData("subscription.confirmed_at", "not_within_days", "30", -30, false)]
    [InlineData("subscription.confirmed_at", "within_days", "30", null, false)]
    [InlineData("subscription.confirmed_at", "not_within_days", "30", null, false)]
    [InlineData("subscription.confirmed_at", "before", "2026-03-01", null, false)]
    [InlineData("subscription.confirmed_at", "after", "2000-01-01", null, false)]
    public void Confirmation_dates(string field, string op, string value, int? confirmedDays, bool expected)
    {
        long? confirmed = confirmedDays is { } d ? Now + d * Day : null;
        Assert.Equal(expected, Ok(One(field, op, value)).Matches(Facts(confirmed: confirmed), Now));
    }

    [Fact]
    public void Before_and_after_are_strict_and_a_date_is_midnight_utc()
    {
        var midnight = new DateTimeOffset(2026, 1, 31, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var facts = Facts(subscriberCreated: midnight, subscriptionCreated: midnight + 1);
        Assert.False(Ok(One("subscriber.created_at", "before", "2026-01-31")).Matches(facts, Now));
        Assert.False(Ok(One("subscriber.created_at", "after", "2026-01-31")).Matches(facts, Now));
        Assert.True(Ok(One("subscriber.created_at", "before", "2026-01-31T00:00:00.001Z")).Matches(facts, Now));
        Assert.True(Ok(One("subscriber.created_at", "before", "2026-01-31T02:00+02:00" + "")).Matches(Facts(subscriberCreated: midnight - 1), Now));
        Assert.True(Ok(One("subscription.created_at", "after", "2026-01-31")).Matches(facts, Now));
        Assert.True(Ok(One("subscription.created_at", "after", "2026-01-31T01:59:59.999+02:00")).Matches(facts, Now));
        Assert.False(Ok(One("subscription.created_at", "after", "2026-01-31T02:00:00+02:00")).Matches(Facts(subscriptionCreated: midnight), Now));
    }

    [Fact]
    public void All_needs_every_condition_and_any_needs_one()
    {
        const string conditions = """[{"field":"attributes.city","op":"eq","value":"helsinki"},{"field":"language","op":"eq","value":"en"}]""";
        var all = Ok("""{"match":"all","conditions":""" + conditions + "}");
        var any = Ok("""{"match":"any","conditions":""" + conditions + "}");
        Assert.False(all.Matches(Facts(), Now));
        Assert.True(any.Matches(Facts(), Now));
        Assert.True(all.Matches(Facts(language: "en"), Now));
        Assert.False(any.Matches(Facts(language: "sv", attributes: []), Now));
    }

    [Fact]
    public void An_injection_attempt_is_only_a_value()
    {
        var segment = Ok(One("attributes.city", "eq", "x' OR 1=1 --"));
        Assert.False(segment.Matches(Facts(), Now));
        Assert.True(segment.Matches(Facts(attributes: new() { ["city"] = "X' or 1=1 --" }), Now));
        Assert.Equal("city is \"x' OR 1=1 --\"", segment.Describe("en"));
    }

    [Fact]
    public void Fold_case_touches_ascii_letters_only()
    {
        Assert.Equal("abc-äÖ-ı-i", Segment.FoldCase("ABC-äÖ-ı-I"));
        Assert.Same("already", Segment.FoldCase("already"));
    }

    [Theory]
    [InlineData("42", true)]
    [InlineData("-3.25", true)]
    [InlineData("007", true)]
    [InlineData("", false)]
    [InlineData("-", false)]
    [InlineData("+4", false)]
    [InlineData(".5", false)]
    [InlineData("5.", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1,5", false)]
    [InlineData("١٢", false)]
    [InlineData("1e3", false)]
    public void Numbers_are_plain_decimals(string text, bool expected) =>
        Assert.Equal(expected, Segment.TryParseNumber(text, out _));
}
