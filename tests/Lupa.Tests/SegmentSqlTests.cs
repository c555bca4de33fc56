using System.Text.Encodings.Web;
using System.Text.Json;
using Dapper;
using Lupa.Domain.Campaigns;
using Lupa.Storage;

namespace Lupa.Tests;

/// <summary>About 200 subscribers with awkward names and attributes, in the database LUPA_TEST_DB names.</summary>
public sealed class SegmentSqlData : IAsyncLifetime
{
    public static readonly long Now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const long Day = 86_400_000;
    private static readonly long Midnight = new DateTimeOffset(2026, 1, 31, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private Func<Task>? _drop;

    public LupaDatabase Db { get; private set; } = null!;
    public Dictionary<long, SegmentFacts> Facts { get; } = [];

    private static readonly string[] Names =
    [
        "Anna Virtanen", "100% _real_", "back\\slash", "O'Brien", "\"Quoted\" Name", "Ääkkönen", "ääkkönen", "ÅSA Ström",
        "Zoë", "日本語の名前", "emoji 😀 face", "", "x' OR 1=1 --", "UPPER lower", "İstanbul", "ǅemal", "Straße", "tab-less %_\\",
    ];

    private static readonly string[] Cities =
    [
        "Helsinki", "helsinki", "HELSINKI", "Tampere", "Espoo", "New York", "x' OR 1=1 --", "", "Hel%sinki", "Hel_sinki",
        "Hel\\sinki", "Öulu", "oulu", "\"Turku\"", "Pori'", "Hel%sinki%", "日本",
    ];

    private static readonly string[] Ages =
    [
        "30", "007", "-5", "12.5", "abc", "1e3", " 42", "", "42", "99999999999999999999", "0.1", "-0", "18", "65.000",
        "1.2.3", "-.5", "5.", "+7", "18.0000000000000001", "١٢",
    ];

    private static readonly string[] Plans = ["Pro", "pro", "free", "FREE_TIER", "50% off", "50%_off", "free\\pro"];

    public async Task InitializeAsync()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        _drop = drop;
        Db = new LupaDatabase(TestDatabase.Provider, cs);
        Db.Migrate();
        var random = new Random(20260301);
        var escaped = new JsonSerializerOptions();
        var raw = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var domains = new[] { "Example.FI", "example.fi", "mail.test", "percent%.test", "under_score.test" };
        var languages = new[] { "fi", "en", "sv", "FI" };

        await using var tx = await Db.BeginWriteAsync();
        var orgId = await tx.Connection.ExecuteScalarAsync<long>(
            "INSERT INTO organisations (slug, name, created_at) VALUES ('seg', 'Seg Oy', 0) RETURNING id", transaction: tx.Transaction);
        for (var i = 0; i < 200; i++)
        {
            var name = Names[i % Names.Length];
            var local = (i % 3) switch { 0 => "Anna.Virtanen", 1 => "o'brien", _ => "x_y%z" };
            var email = $"{local}{i}@{domains[i % domains.Length]}";
            var attributes = new Dictionary<string, string>();
            if (random.Next(6) > 0)
                attributes["city"] = Cities[random.Next(Cities.Length)];
            if (random.Next(5) > 0)
                attributes["age"] = Ages[random.Next(Ages.Length)];
            if (random.Next(2) > 0)
                attributes["plan"] = Plans[random.Next(Plans.Length)];
            if (random.Next(3) == 0)
                attributes["ikä"] = random.Next(18, 80).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (random.Next(3) == 0)
                attributes["a.b"] = random.Next(2) == 0 ? "yes" : "no";
            if (random.Next(4) == 0)
                attributes["x-y"] = "1";
            if (random.Next(5) == 0)
                attributes["City"] = "Turku";

            var subscriberCreated = Now - random.NextInt64(0, 400 * Day);
            var subscriptionCreated = subscriberCreated + random.NextInt64(0, 10 * Day);
            long? confirmed = random.Next(10) < 3 ? null : Math.Min(Now, subscriptionCreated + random.NextInt64(0, 2 * Day));
            // Rows on the boundaries, where < and <= part ways.
            switch (i)
            {
                case 7: subscriberCreated = Midnight; break;
                case 8: confirmed = Now - 30 * Day; break;
                case 9: confirmed = Now - 30 * Day - 1; break;
                case 10: subscriptionCreated = Midnight; confirmed = Midnight + 1; break;
                case 11: confirmed = Now + Day; break;
            }

            var json = JsonSerializer.Serialize(attributes, i % 2 == 0 ? escaped : raw);
            var subscriberId = await tx.Connection.ExecuteScalarAsync<long>(
                "INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at) VALUES (@orgId, @email, @name, @language, @json, @subscriberCreated, @subscriberCreated) RETURNING id",
                new { orgId, email, name, language = languages[i % languages.Length], json, subscriberCreated }, tx.Transaction);
            await tx.Connection.ExecuteAsync(
                "INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at) VALUES (@orgId, @subscriberId, 1, @status, @subscriptionCreated, @confirmed)",
                new { orgId, subscriberId, status = confirmed is null ? "pending" : "confirmed", subscriptionCreated, confirmed }, tx.Transaction);
            Facts[subscriberId] = new SegmentFacts(email, name, languages[i % languages.Length], attributes, subscriberCreated, subscriptionCreated, confirmed);
        }
        await tx.CommitAsync();
    }

    /// <summary>The subscriber ids the SQL condition selects.</summary>
    public async Task<List<long>> SelectAsync(Segment segment)
    {
        var parameters = new DynamicParameters();
        var where = SegmentSql.Where(segment, Db.Provider, parameters, Now);
        await using var c = await Db.OpenAsync();
        var ids = await c.QueryAsync<long>($"SELECT p.id FROM subscribers p JOIN subscriptions s ON s.subscriber_id = p.id WHERE {where} ORDER BY p.id", parameters);
        return ids.ToList();
    }

    /// <summary>The subscriber ids the in-memory evaluator accepts.</summary>
    public List<long> Expected(Segment segment) => Facts.Where(f => segment.Matches(f.Value, Now)).Select(f => f.Key).Order().ToList();

    public async Task DisposeAsync()
    {
        Db?.Dispose();
        if (_drop is not null)
            await _drop();
    }
}

public sealed class SegmentSqlTests(SegmentSqlData data) : IClassFixture<SegmentSqlData>
{
    private static string C(string field, string op, string? value = null) =>
        JsonSerializer.Serialize(value is null ? new Dictionary<string, string> { ["field"] = field, ["op"] = op } : new() { ["field"] = field, ["op"] = op, ["value"] = value });

    private static string All(params string[] conditions) => """{"match":"all","conditions":[""" + string.Join(",", conditions) + "]}";

    private static string Any(params string[] conditions) => """{"match":"any","conditions":[""" + string.Join(",", conditions) + "]}";

    private static readonly string[] SegmentJson =
    [
        All(C("attributes.city", "eq", "helsinki")),
        All(C("attributes.city", "neq", "HELSINKI")),
        All(C("attributes.city", "contains", "%")),
        All(C("attributes.city", "contains", "_")),
        All(C("attributes.city", "contains", "\\")),
        All(C("attributes.city", "contains", "l%s")),
        All(C("attributes.city", "starts_with", "hel")),
        All(C("attributes.city", "ends_with", "SINKI")),
        All(C("attributes.city", "ends_with", "%")),
        All(C("attributes.city", "not_contains", "e")),
        All(C("attributes.city", "eq", "öulu")),
        All(C("attributes.city", "contains", "\"")),
        All(C("attributes.city", "ends_with", "'")),
        All(C("attributes.city", "is_set")),
        All(C("attributes.city", "is_not_set")),
        All(C("attributes.City", "eq", "turku")),
        All(C("name", "contains", "%")),
        All(C("name", "contains", "_")),
        All(C("name", "contains", "\\")),
        All(C("name", "contains", "'")),
        All(C("name", "starts_with", "\"")),
        All(C("name", "eq", "ÄÄKKÖNEN")),
        All(C("name", "eq", "ääkkönen")),
        All(C("name", "contains", "Ä")),
        All(C("name", "starts_with", "日本")),
        All(C("name", "contains", "😀")),
        All(C("name", "eq", "istanbul")),
        All(C("name", "eq", "strasse")),
        All(C("name", "is_not_set")),
        All(C("email", "ends_with", "@example.fi")),
        All(C("email", "contains", "y%z")),
        All(C("email", "contains", "_y")),
        All(C("email", "starts_with", "ANNA.")),
        All(C("email", "not_contains", "'")),
        All(C("language", "eq", "fi")),
        All(C("language", "neq", "en")),
        All(C("attributes.age", "gt", "18")),
        All(C("attributes.age", "lt", "18")),
        All(C("attributes.age", "gt", "-1")),
        All(C("attributes.age", "lt", "0.5")),
        All(C("attributes.age", "gt", "18.00000000000000001")),
        All(C("attributes.age", "gt", "99999999999999999998")),
        All(C("attributes.age", "lt", "-0.0")),
        All(C("attributes.age", "eq", "007")),
        All(C("attributes.ikä", "gt", "40")),
        All(C("attributes.a.b", "eq", "YES")),
        All(C("attributes.x-y", "is_set")),
        All(C("attributes.plan", "eq", "50% off")),
        All(C("attributes.plan", "contains", "0%_")),
        All(C("attributes.plan", "contains", "e\\p")),
        All(C("attributes.missing", "neq", "x")),
        All(C("attributes.missing", "lt", "100")),
        All(C("subscription.confirmed_at", "within_days", "30")),
        All(C("subscription.confirmed_at", "not_within_days", "30")),
        All(C("subscription.confirmed_at", "before", "2026-01-31")),
        All(C("subscription.confirmed_at", "after", "2026-01-31T00:00:00Z")),
        All(C("subscription.created_at", "after", "2026-01-31T02:00:00+02:00")),
        All(C("subscription.created_at", "within_days", "7")),
        All(C("subscriber.created_at", "before", "2025-06-01T12:00:00+03:00")),
        All(C("subscriber.created_at", "after", "2026-01-30T23:59:59.999Z")),
        All(C("attributes.city", "eq", "Helsinki"), C("subscription.confirmed_at", "within_days", "60"), C("language", "eq", "fi")),
        Any(C("attributes.city", "eq", "Helsinki"), C("subscription.confirmed_at", "within_days", "60"), C("language", "eq", "fi")),
        Any(C("attributes.age", "gt", "40"), C("attributes.ikä", "lt", "30"), C("name", "is_not_set")),
        All(C("attributes.plan", "is_set"), C("attributes.plan", "not_contains", "free"), C("subscription.confirmed_at", "not_within_days", "10")),
        Any(C("subscription.confirmed_at", "before", "2000-01-01"), C("attributes.age", "lt", "-1000")),
        All(),
        Any(),
    ];

    public static TheoryData<string> Segments => new(SegmentJson);

    [Theory]
    [MemberData(nameof(Segments))]
    public async Task Sql_selects_what_the_evaluator_accepts(string json)
    {
        var parsed = Segment.Parse(json);
        Assert.True(parsed.IsOk, parsed.Reason);
        Assert.Equal(data.Expected(parsed.Value!), await data.SelectAsync(parsed.Value!));
    }

    [Fact]
    public async Task The_segments_above_tell_rows_apart()
    {
        var between = 0;
        foreach (var json in SegmentJson)
        {
            var count = (await data.SelectAsync(Segment.Parse(json).Value!)).Count;
            if (count is > 0 and < 200)
                between++;
        }
        Assert.True(between >= 50, $"only {between} segments selected some but not all rows");
    }

    [Fact]
    public async Task An_injected_value_is_matched_literally()
    {
        var segment = Segment.Parse(All(C("attributes.city", "eq", "x' OR 1=1 --"))).Value!;
        var parameters = new DynamicParameters();
        var where = SegmentSql.Where(segment, data.Db.Provider, parameters, SegmentSqlData.Now);
        Assert.DoesNotContain("1=1", where, StringComparison.Ordinal);
        Assert.DoesNotContain("city", where, StringComparison.Ordinal);
        var ids = await data.SelectAsync(segment);
        Assert.NotEmpty(ids);
        Assert.True(ids.Count < 50);
        Assert.All(ids, id => Assert.Equal("x' OR 1=1 --", data.Facts[id].Attributes["city"]));
        Assert.Equal(data.Expected(segment), ids);
    }

    [Theory]
    [InlineData("attributes.city') OR 1=1 --")]
    [InlineData("attributes.city\" OR 1=1 --")]
    [InlineData("attributes.a\"]")]
    [InlineData("attributes.$")]
    [InlineData("attributes.a[0]")]
    [InlineData("attributes.city'")]
    public void An_attribute_name_that_could_escape_its_quotes_is_refused(string field)
    {
        var parsed = Segment.Parse(All(C(field, "eq", "x")));
        Assert.False(parsed.IsOk);
        Assert.StartsWith("conditions[0].field:", parsed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_segments_share_one_set_of_parameters()
    {
        var first = Segment.Parse(All(C("attributes.city", "starts_with", "hel"))).Value!;
        var second = Segment.Parse(All(C("language", "eq", "fi"), C("subscription.confirmed_at", "within_days", "200"))).Value!;
        var parameters = new DynamicParameters();
        parameters.Add("seg1", 12345);
        var a = SegmentSql.Where(first, data.Db.Provider, parameters, SegmentSqlData.Now);
        var b = SegmentSql.Where(second, data.Db.Provider, parameters, SegmentSqlData.Now);
        await using var c = await data.Db.OpenAsync();
        var ids = (await c.QueryAsync<long>($"SELECT p.id FROM subscribers p JOIN subscriptions s ON s.subscriber_id = p.id WHERE {a} AND {b} AND @seg1 = 12345 ORDER BY p.id", parameters)).ToList();
        var expected = data.Expected(first).Intersect(data.Expected(second)).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void The_empty_segment_is_true()
    {
        Assert.Equal("1=1", SegmentSql.Where(Segment.Empty, data.Db.Provider, new DynamicParameters(), SegmentSqlData.Now));
        Assert.Throws<ArgumentException>(() => SegmentSql.Where(Segment.Empty, data.Db.Provider, new DynamicParameters(), 0, "p; DROP TABLE x"));
    }
}
