using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Lupa.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Lupa.Tests;

/// <summary>Opens and clicks: signed links, privacy by default, individual tracking only when asked, machines told apart, the report.</summary>
public sealed partial class TrackingTests
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

    private const string Body = "# Autumn\n\nHello {{ subscriber.name }}!\n\n[The beans](https://roastery.test/beans?kind=light&size=250)\n\n" +
        "[Our story](https://roastery.test/story)\n\n[The shop](https://roastery.test/shop)\n\n[Write to us](mailto:hello@roastery.test)\n";

    [GeneratedRegex("""href="([^"]*)""")]
    private static partial Regex Hrefs();

    [GeneratedRegex("""<img src="([^"]*/t/o/[^"]*)""")]
    private static partial Regex Pixel();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A campaign with <see cref="Body"/> sent to p0..p(count-1)@example.com; returns its id.</summary>
    private static async Task<long> SendAsync(LupaTestHost host, CampaignSetup s, HttpClient api, int count, int from = 0)
    {
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, count, from);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, Body));
        await CampaignSupport.StartAsync(api, id);
        Assert.Equal("sent", (await CampaignSupport.WaitAsync(api, id, 60, "sent")).GetProperty("status").GetString());
        return id;
    }

    private static async Task<(string Html, string Text)> MailAsync(LupaTestHost host, string rcpt, int index = 0)
    {
        var mails = await host.WaitForMailAsync(rcpt, index + 1);
        var message = MailText.Parse(mails[index]);
        return (message.HtmlBody ?? "", message.TextBody ?? "");
    }

    /// <summary>A running Lupa with an organisation set up and a campaign sent to p0..p(count-1)@example.com.</summary>
    private sealed record SentCampaign(LupaTestHost Host, CampaignSetup Setup, HttpClient Api, long Id) : IAsyncDisposable
    {
        public static async Task<SentCampaign> StartAsync(int count)
        {
            var host = await LupaTestHost.StartAsync();
            var s = await CampaignSupport.SetUpAsync(host);
            var api = host.Api(s.ApiKey);
            return new SentCampaign(host, s, api, await SendAsync(host, s, api, count));
        }

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await Host.DisposeAsync();
        }
    }

    private static List<string> Tracked(string html) => Links(html).Where(l => l.Contains("/t/c/", StringComparison.Ordinal)).ToList();

    private static string PixelUrl(string html) => WebUtility.HtmlDecode(Pixel().Match(html).Groups[1].Value);

    private static List<string> Links(string html) => Hrefs().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    private static async Task<HttpResponseMessage> GetAsync(HttpClient web, string url, string? userAgent = Browser, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        if (userAgent is not null)
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        return await web.SendAsync(request);
    }

    /// <summary>Polls the report until <paramref name="done"/> holds for it.</summary>
    private static async Task<JsonElement> ReportAsync(HttpClient api, long id, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var report = await JsonAsync(await api.GetAsync($"/api/v1/campaigns/{id}/report"), HttpStatusCode.OK);
            if (done(report) || DateTime.UtcNow > deadline)
                return report;
            await Task.Delay(100);
        }
    }

    private static long Human(JsonElement report, string what) => report.GetProperty(what).GetProperty("human").GetInt64();

    private static long Machine(JsonElement report, string what) => report.GetProperty(what).GetProperty("machine").GetInt64();

    private static long Unique(JsonElement report, string what, string which) => report.GetProperty(what).GetProperty(which).GetInt64();

    private static byte[] Token(string trackingUrl) => Base64Url.DecodeFromChars(trackingUrl.AsSpan(trackingUrl.LastIndexOf('/') + 1));

    /// <summary>The subscriber id a tracking link carries (bytes 9 to 16 of its token).</summary>
    private static long SubscriberIn(string trackingUrl) => BinaryPrimitives.ReadInt64BigEndian(Token(trackingUrl).AsSpan(9));

    /// <summary>The message's random tag a tracking link carries (bytes 21 to 24 of its token).</summary>
    private static uint TagIn(string trackingUrl) => BinaryPrimitives.ReadUInt32BigEndian(Token(trackingUrl).AsSpan(21));

    [Fact]
    public async Task Signed_click_links_redirect_to_their_target_and_a_tampered_one_is_refused_without_a_redirect()
    {
        await using var sent = await SentCampaign.StartAsync(2);
        var (host, api, id) = (sent.Host, sent.Api, sent.Id);
        var (html, text) = await MailAsync(host, "p0@example.com");

        var links = Links(html);
        var tracked = links.Where(l => l.StartsWith(host.BaseUrl + "/t/c/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, tracked.Count);
        // The footer's links (unsubscribe, preferences, privacy) and mailto: stay as they are; the text part is not rewritten.
        Assert.Contains(links, l => l.StartsWith(host.BaseUrl + "/u/", StringComparison.Ordinal));
        Assert.Contains(links, l => l.StartsWith(host.BaseUrl + "/p/", StringComparison.Ordinal));
        Assert.Contains(links, l => l.StartsWith(host.BaseUrl + "/notice/", StringComparison.Ordinal));
        Assert.Contains("mailto:hello@roastery.test", links);
        Assert.Contains("https://roastery.test/beans?kind=light&size=250", text);
        Assert.DoesNotContain("/t/", text);
        Assert.Matches(Pixel(), html);

        using var web = host.Client();
        var first = await GetAsync(web, tracked[0]);
        Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        Assert.Equal("https://roastery.test/beans?kind=light&size=250", first.Headers.Location!.OriginalString);
        Assert.Equal("https://roastery.test/story", (await GetAsync(web, tracked[1])).Headers.Location!.OriginalString);

        // Tampered: one character of the signature, or the target swapped with the signature kept; a truncated token; the wrong kind.
        var token = tracked[0][(tracked[0].LastIndexOf('/') + 1)..];
        var flipped = token[..^3] + (token[^3] == 'A' ? 'B' : 'A') + token[^2..];
        var bytes = Base64Url.DecodeFromChars(token);
        var evil = Encoding.UTF8.GetBytes("https://evil.test/x?kind=light&size=250");
        var swapped = bytes[..29].Concat(evil).Concat(bytes[^16..]).ToArray();
        foreach (var bad in new[] { flipped, Base64Url.EncodeToString(swapped), token[..40], "not-a-token", "" })
        {
            var refused = await GetAsync(web, "/t/c/" + bad);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"status\":404", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(web, "/t/o/" + token)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await web.PostAsync(tracked[0], null)).StatusCode);

        // The pixel is a GIF that no cache keeps.
        var pixel = await GetAsync(web, PixelUrl(html));
        Assert.Equal(HttpStatusCode.OK, pixel.StatusCode);
        Assert.Equal("image/gif", pixel.Content.Headers.ContentType?.MediaType);
        Assert.Equal(43, (await pixel.Content.ReadAsByteArrayAsync()).Length);
        Assert.Contains("no-store", pixel.Headers.CacheControl!.ToString());

        // Two clicks and an open counted; refused requests count nothing.
        var report = await ReportAsync(api, id, r => Human(r, "clicks") + Machine(r, "clicks") == 2 && Human(r, "opens") + Machine(r, "opens") == 1);
        Assert.Equal(2, Human(report, "clicks") + Machine(report, "clicks"));
        Assert.Equal(1, Human(report, "opens") + Machine(report, "opens"));
    }

    [Fact]
    public async Task Machines_are_told_apart_from_people_and_reported_separately()
    {
        await using var sent = await SentCampaign.StartAsync(3);
        var (host, s, api, id) = (sent.Host, sent.Setup, sent.Api, sent.Id);
        var (html0, _) = await MailAsync(host, "p0@example.com");
        var (html1, _) = await MailAsync(host, "p1@example.com");
        var (html2, _) = await MailAsync(host, "p2@example.com");
        // Past the two seconds after delivery in which only machines click.
        await Task.Delay(2100);
        using var web = host.Client();
        string Click(string html, int n) => Tracked(html)[n];
        string Open(string html) => PixelUrl(html);

        // People: p0 clicks one link twice and opens; p1 opens in a browser.
        Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, Click(html0, 0))).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, Click(html0, 0))).StatusCode);
        await GetAsync(web, Open(html0));
        await GetAsync(web, Open(html1));
        // Machines: Google's image proxy and Apple's privacy proxy open; a scanner's HEAD; a known scanner; no user agent.
        await GetAsync(web, Open(html1), "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)");
        await GetAsync(web, Open(html2), "Mozilla/5.0");
        Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, Click(html1, 0), Browser, HttpMethod.Head)).StatusCode);
        await GetAsync(web, Click(html1, 1), "Barracuda Sentinel (EE)");
        await GetAsync(web, Click(html2, 1), userAgent: null);

        var report = await ReportAsync(api, id, r => Human(r, "clicks") + Machine(r, "clicks") == 5 && Human(r, "opens") + Machine(r, "opens") == 4);
        Assert.Equal((2, 3), (Human(report, "clicks"), Machine(report, "clicks")));
        Assert.Equal((2, 2), (Human(report, "opens"), Machine(report, "opens")));
        var beans = report.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("url").GetString() == "https://roastery.test/beans?kind=light&size=250");
        Assert.Equal((2, 1), (beans.GetProperty("human").GetInt64(), beans.GetProperty("machine").GetInt64()));
        // Aggregate only, and still unique counts, by the messages' tags: p0 and p1 opened as people, p1 and p2 by machines;
        // p0 clicked as a person, p1 and p2 by machines.
        Assert.False(report.GetProperty("individualTracking").GetBoolean());
        Assert.Equal((2, 2), (Unique(report, "opens", "uniqueHuman"), Unique(report, "opens", "uniqueMachine")));
        Assert.Equal((1, 2), (Unique(report, "clicks", "uniqueHuman"), Unique(report, "clicks", "uniqueMachine")));
        Assert.Equal(1, beans.GetProperty("uniqueHuman").GetInt64());

        // A scanner that follows every link of a message at once, with a browser's user agent: a burst, all a machine's.
        var scanned = await SendAsync(host, s, api, 1, from: 100);
        var (html, _) = await MailAsync(host, "p100@example.com");
        await Task.Delay(2100);
        var all = Tracked(html);
        Assert.Equal(3, all.Count);
        foreach (var link in all)
            await GetAsync(web, link);
        var burst = await ReportAsync(api, scanned, r => Human(r, "clicks") + Machine(r, "clicks") == 3);
        Assert.Equal((0, 3), (Human(burst, "clicks"), Machine(burst, "clicks")));
    }

    [Fact]
    public async Task Mail_to_a_person_who_objected_to_profiling_has_no_pixel_and_no_rewritten_links()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 2);
        var request = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "objection", objectionScope = "profiling", email = "p1@example.com", channel = "phone",
        })), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{request.GetProperty("id").GetInt64()}/fulfil", null), HttpStatusCode.OK);
        // Individual tracking on: still nothing for the person who objected.
        await JsonAsync(await api.PutAsync("/api/v1/settings/tracking", LupaTestHost.Json(new { individualTracking = true })), HttpStatusCode.OK);

        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, Body));
        await CampaignSupport.StartAsync(api, id);
        await CampaignSupport.WaitAsync(api, id, 60, "sent");
        var (objector, _) = await MailAsync(host, "p1@example.com");
        var (other, _) = await MailAsync(host, "p0@example.com");

        Assert.DoesNotContain("/t/", objector);
        Assert.DoesNotMatch(Pixel(), objector);
        Assert.Contains("https://roastery.test/beans?kind=light&size=250", Links(objector));
        Assert.Contains("https://roastery.test/story", Links(objector));
        Assert.Matches(Pixel(), other);
        Assert.Equal(3, Tracked(other).Count);
    }

    [Fact]
    public async Task Only_aggregate_counts_are_kept_by_default_and_individual_events_only_once_the_organisation_turns_them_on()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        var settings = await JsonAsync(await api.GetAsync("/api/v1/settings/tracking"), HttpStatusCode.OK);
        Assert.False(settings.GetProperty("individualTracking").GetBoolean());
        using var web = host.Client();

        // Off: the links name no one, the counts hold no one, and no event is stored.
        var aggregate = await SendAsync(host, s, api, 2);
        var (html, _) = await MailAsync(host, "p0@example.com");
        var click = Tracked(html)[0];
        var open = PixelUrl(html);
        Assert.Equal(0, SubscriberIn(click));
        Assert.Equal(0, SubscriberIn(open));
        await GetAsync(web, click);
        await GetAsync(web, open);
        await ReportAsync(api, aggregate, r => Human(r, "clicks") + Machine(r, "clicks") == 1 && Human(r, "opens") + Machine(r, "opens") == 1);
        await using (var c = await host.Db.OpenAsync())
        {
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM tracking_events"));
            Assert.Equal(2, await c.ExecuteScalarAsync<long>("SELECT sum(total) FROM tracking_counts WHERE campaign_id = @aggregate", new { aggregate }));
        }

        // Bad input is refused, naming the field.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.PutAsync("/api/v1/settings/tracking", LupaTestHost.Json(new { }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PutAsync("/api/v1/settings/tracking", new StringContent("{\"individualTracking\":\"yes\"}", Encoding.UTF8, "application/json"))).StatusCode);
        var on = await JsonAsync(await api.PutAsync("/api/v1/settings/tracking", LupaTestHost.Json(new { individualTracking = true })), HttpStatusCode.OK);
        Assert.True(on.GetProperty("individualTracking").GetBoolean());

        // On: the links carry the person and their opens and clicks are stored with them.
        var individual = await SendAsync(host, s, api, 2, from: 10);
        var (html10, _) = await MailAsync(host, "p10@example.com");
        var (html11, _) = await MailAsync(host, "p11@example.com");
        var p10 = (await new OrganisationStore(host.Db, s.OrgId).FindSubscriberAsync("p10@example.com"))!.Id;
        var p11 = (await new OrganisationStore(host.Db, s.OrgId).FindSubscriberAsync("p11@example.com"))!.Id;
        var click10 = Tracked(html10)[0];
        Assert.Equal(p10, SubscriberIn(click10));
        // p11 objects to profiling after the mail went out: their click still counts, but not as theirs.
        await new OrganisationStore(host.Db, s.OrgId).ObjectToProfilingAsync(p11, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await Task.Delay(2100);
        await GetAsync(web, click10);
        await GetAsync(web, click10);
        await GetAsync(web, PixelUrl(html10));
        await GetAsync(web, Tracked(html11)[0]);
        var report = await ReportAsync(api, individual, r => Human(r, "clicks") == 3 && Human(r, "opens") == 1);
        Assert.True(report.GetProperty("individualTracking").GetBoolean());
        // Unique counts come from the messages' tags in this mode too: p11's click is among them, though not kept as theirs.
        Assert.Equal(2, report.GetProperty("clicks").GetProperty("uniqueHuman").GetInt64());
        Assert.Equal(1, report.GetProperty("opens").GetProperty("uniqueHuman").GetInt64());
        await using (var c = await host.Db.OpenAsync())
        {
            var events = (await c.QueryAsync<(long SubscriberId, long Kind)>("SELECT subscriber_id, kind FROM tracking_events ORDER BY id")).ToList();
            Assert.Equal(new[] { (p10, 2L), (p10, 2L), (p10, 1L) }, events.OrderByDescending(e => e.Kind).ToArray());
        }

        // The person's access report lists them.
        var org = (await host.Store.GetOrganisationAsync(s.OrgId))!;
        var access = await host.App.Services.GetRequiredService<Lupa.Privacy.PrivacyReports>()
            .AccessAsync(org, new PrivacyRequestRow { OrgId = s.OrgId, SubjectEmail = "p10@example.com", Language = "en" }, default);
        Assert.Equal(["click", "click", "open"], access.Tracking.Select(e => e.Kind).Order().ToArray());
        Assert.Contains("https://roastery.test/beans?kind=light&size=250", access.Tracking.Select(e => e.Url));
        Assert.Contains("keeps the opens and clicks", access.Processing.Profiling);

        // An objection deletes the person's events; so does an erasure.
        await new OrganisationStore(host.Db, s.OrgId).ObjectToProfilingAsync(p10, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM tracking_events"));
    }

    [Fact]
    public async Task Unique_opens_and_clicks_are_counted_by_the_messages_tags_with_no_person_stored()
    {
        await using var sent = await SentCampaign.StartAsync(2);
        var (host, api, id) = (sent.Host, sent.Api, sent.Id);
        var (html0, _) = await MailAsync(host, "p0@example.com");
        var (html1, _) = await MailAsync(host, "p1@example.com");
        var beansUrl = Tracked(html0)[0];
        Assert.Equal(0, SubscriberIn(beansUrl));
        await Task.Delay(2100);
        using var web = host.Client();

        // p0 opens three times and clicks one link twice; p1's message is opened once by an image proxy.
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(web, PixelUrl(html0))).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, beansUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, beansUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(web, PixelUrl(html1), "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")).StatusCode);

        var report = await ReportAsync(api, id, r => Human(r, "clicks") == 2 && Human(r, "opens") + Machine(r, "opens") == 4);
        Assert.False(report.GetProperty("individualTracking").GetBoolean());
        Assert.Equal((3, 1), (Human(report, "opens"), Unique(report, "opens", "uniqueHuman")));
        Assert.Equal((1, 1), (Machine(report, "opens"), Unique(report, "opens", "uniqueMachine")));
        Assert.Equal((2, 1, 0), (Human(report, "clicks"), Unique(report, "clicks", "uniqueHuman"), Unique(report, "clicks", "uniqueMachine")));
        var links = report.GetProperty("links").EnumerateArray().ToList();
        var beans = links.Single(l => l.GetProperty("url").GetString() == "https://roastery.test/beans?kind=light&size=250");
        Assert.Equal((2, 1), (beans.GetProperty("human").GetInt64(), beans.GetProperty("uniqueHuman").GetInt64()));
        Assert.All(links.Where(l => l.GetProperty("linkId").GetInt32() != beans.GetProperty("linkId").GetInt32()), l => Assert.Equal(0, l.GetProperty("uniqueHuman").GetInt64()));

        var csv = (await (await api.GetAsync($"/api/v1/campaigns/{id}/report.csv")).Content.ReadAsStringAsync()).Split("\r\n");
        Assert.Contains("summary,,,,unique_opens_human,1", csv);
        Assert.Contains("summary,,,,unique_opens_machine,1", csv);
        Assert.Contains("summary,,,,unique_clicks_human,1", csv);
        Assert.Contains(csv, l => l.StartsWith("link,,", StringComparison.Ordinal) && l.EndsWith("/beans?kind=light&size=250,unique_clicks_human,1", StringComparison.Ordinal));

        // What is stored: the messages' random tags, with no subscriber column anywhere in the tracking tables and no event.
        await using var c = await host.Db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM tracking_events"));
        foreach (var table in new[] { "tracking_counts", "tracking_tags" })
        {
            await using var reader = await c.ExecuteReaderAsync($"SELECT * FROM {table} WHERE 1 = 0");
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            Assert.DoesNotContain(columns, n => n.Contains("subscriber", StringComparison.OrdinalIgnoreCase) || n.Contains("email", StringComparison.OrdinalIgnoreCase));
        }
        var tags = (await c.QueryAsync<(long Kind, long LinkId, long Machine, long Tag)>(
            "SELECT kind, link_id, machine, tag FROM tracking_tags WHERE campaign_id = @id ORDER BY kind, machine", new { id })).ToList();
        Assert.Equal(
            [(1L, 0L, 0L, (long)TagIn(PixelUrl(html0))), (1L, 0L, 1L, (long)TagIn(PixelUrl(html1))), (2L, (long)beans.GetProperty("linkId").GetInt32(), 0L, (long)TagIn(beansUrl))],
            tags);
        Assert.Equal(TagIn(PixelUrl(html0)), TagIn(beansUrl));
        Assert.NotEqual(TagIn(PixelUrl(html0)), TagIn(PixelUrl(html1)));
    }

    [Fact]
    public async Task The_report_answers_as_json_and_csv_counts_unsubscribes_and_stays_within_its_organisation()
    {
        await using var sent = await SentCampaign.StartAsync(3);
        var (host, api, id) = (sent.Host, sent.Api, sent.Id);
        var (html, text) = await MailAsync(host, "p2@example.com");
        using var web = host.Client();
        await GetAsync(web, Tracked(html)[0]);
        // One-click unsubscribe through the campaign's link: counted once however often it is posted.
        var unsubscribe = MailText.Link((await host.WaitForMailAsync("p2@example.com"))[0], "/u/");
        Assert.Equal(HttpStatusCode.OK, (await web.PostAsync(unsubscribe, new StringContent("List-Unsubscribe=One-Click"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await web.PostAsync(unsubscribe, new StringContent("List-Unsubscribe=One-Click"))).StatusCode);

        var report = await ReportAsync(api, id, r => r.GetProperty("unsubscribes").GetInt64() == 1 && Human(r, "clicks") + Machine(r, "clicks") == 1);
        Assert.Equal(3, report.GetProperty("sent").GetInt64());
        Assert.Equal(3, report.GetProperty("delivered").GetInt64());
        Assert.Equal(0, report.GetProperty("hardBounces").GetInt64());
        Assert.Equal(1, report.GetProperty("unsubscribes").GetInt64());
        Assert.Equal(3, report.GetProperty("links").GetArrayLength());
        var hour = Assert.Single(report.GetProperty("hours").EnumerateArray());
        Assert.Equal(1, hour.GetProperty("humanClicks").GetInt64() + hour.GetProperty("machineClicks").GetInt64());
        Assert.Equal(1, hour.GetProperty("unsubscribes").GetInt64());

        var csv = await api.GetAsync($"/api/v1/campaigns/{id}/report.csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("section,hour,link_id,url,metric,value", lines[0]);
        Assert.Contains("summary,,,,sent,3", lines);
        Assert.Contains("summary,,,,unsubscribes,1", lines);
        Assert.Contains(lines, l => l.StartsWith("link,,", StringComparison.Ordinal) && l.Contains(",https://roastery.test/story,clicks_human,0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hour,", StringComparison.Ordinal) && l.EndsWith(",unsubscribes,1", StringComparison.Ordinal));

        // Another organisation's key does not reach it.
        var other = await host.CreateOrganisationAsync("other");
        using var stranger = host.Api(other.ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/v1/campaigns/{id}/report")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/v1/campaigns/{id}/report.csv")).StatusCode);
    }

    [Fact]
    public async Task Opens_and_clicks_still_in_the_buffer_at_a_clean_stop_are_written()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            // A long group-commit wait, so the clicks are surely still in memory when the stop comes.
            var settings = new Dictionary<string, string?> { ["Lupa:Tracking:FlushMilliseconds"] = "5000" };
            var first = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, settings);
            var s = await CampaignSupport.SetUpAsync(first);
            long id;
            using (var api = first.Api(s.ApiKey))
                id = await SendAsync(first, s, api, 1);
            var (html, _) = await MailAsync(first, "p0@example.com");
            using (var web = first.Client())
            {
                foreach (var link in Tracked(html))
                    Assert.Equal(HttpStatusCode.Found, (await GetAsync(web, link)).StatusCode);
                await GetAsync(web, PixelUrl(html));
            }
            await first.DisposeAsync();

            using var c = new LupaDatabase(TestDatabase.Provider, cs);
            await using var connection = await c.OpenAsync();
            Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT sum(total) FROM tracking_counts WHERE campaign_id = @id", new { id }));
        }
        finally
        {
            await drop();
        }
    }
}
