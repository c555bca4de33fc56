using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;

namespace Lupa.Tests;

/// <summary>The admin UI's campaign pages over HTTP: the editor, the campaign page's check, start, pause and resume, sender domains and the layout.</summary>
public sealed partial class AdminCampaignTests
{
    [GeneratedRegex(@"^/admin/o/acme/campaigns/(\d+)\?done=saved$")]
    private static partial Regex SavedLocation();

    /// <summary>The editor's fields as a browser posts them; <paramref name="extra"/> adds or overrides.</summary>
    private static (string, string)[] EditorFields(CampaignSetup s, params (string, string)[] extra)
    {
        var fields = new List<(string, string)>
        {
            ("Form.Name", "Helsinki news"),
            ("Form.ListIds", s.ListId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Conditions.Match", "all"),
            ("Conditions.Rows[0].Field", "attribute"),
            ("Conditions.Rows[0].Key", "city"),
            ("Conditions.Rows[0].Op", "eq"),
            ("Conditions.Rows[0].Value", "Helsinki"),
            ("Conditions.Rows[1].Field", ""),
            ("Conditions.Rows[1].Key", ""),
            ("Conditions.Rows[1].Op", "eq"),
            ("Conditions.Rows[1].Value", ""),
            ("Form.FromName", "Acme News"),
            ("Form.FromAddress", "hello@" + CampaignSupport.Domain),
            ("Form.ReplyTo", ""),
            ("Form.Subject", "News for {{ subscriber.name }}"),
            ("Form.Preheader", "What happened in Helsinki"),
            ("Form.BodyFormat", "markdown"),
            ("Form.Body", "Hei **{{ subscriber.name }}**, greetings to {{ subscriber.attributes.city }}!"),
        };
        foreach (var (name, value) in extra)
        {
            fields.RemoveAll(f => f.Item1 == name);
            fields.Add((name, value));
        }
        return fields.ToArray();
    }

    private static async Task<Session> OwnerAsync(LupaTestHost host, CampaignSetup s)
    {
        var session = new Session(host);
        Assert.Equal(HttpStatusCode.Redirect, (await session.LoginAsync(s.OwnerEmail, s.OwnerPassword)).StatusCode);
        return session;
    }

    private static async Task<string> StatusAsync(HttpClient api, long id) =>
        JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement.GetProperty("status").GetString()!;

    [Fact]
    public async Task Owner_writes_a_campaign_in_the_editor_and_a_refused_form_keeps_what_was_typed()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 9);
        using var owner = await OwnerAsync(host, s);
        const string editor = "/admin/o/acme/campaigns/new";
        Assert.Contains("id=\"new-campaign\"", await owner.GetPageAsync("/admin/o/acme/campaigns"));

        // The segment builder's button counts without saving: p0, p3 and p6 live in Helsinki.
        var counted = await owner.PostFormAsync(editor, editor, EditorFields(s, ("command", "refresh")));
        var countedPage = await counted.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Contains("Selects: city is Helsinki", countedPage);
        Assert.Contains("3 people now", countedPage);

        // Refused: no name, a bad sender address, a condition without its value. Everything typed stays.
        var refused = await owner.PostFormAsync(editor, editor, EditorFields(s,
            ("Form.Name", ""), ("Form.FromAddress", "not-an-address"),
            ("Conditions.Rows[1].Field", "name"), ("Conditions.Rows[1].Op", "starts_with"), ("Conditions.Rows[1].Value", "")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var page = await refused.Content.ReadAsStringAsync();
        foreach (var expected in new[]
        {
            "correct the 3 fields marked below", "id=\"error-name\"", "id=\"error-fromAddress\"", "Value is required for starts_with.",
            "value=\"not-an-address\"", "value=\"city\"", "value=\"Helsinki\"", "value=\"What happened in Helsinki\"",
            "Hei **{{ subscriber.name }}**, greetings to {{ subscriber.attributes.city }}!</textarea>",
        })
            Assert.Contains(expected, page);
        Assert.Matches($"value=\"{s.ListId}\" checked", page);
        Assert.Matches("<option value=\"starts_with\" selected", page);
        using var api = host.Api(s.ApiKey);
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/campaigns")).RootElement.GetArrayLength());

        var saved = await owner.PostFormAsync(editor, editor, EditorFields(s));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var id = long.Parse(SavedLocation().Match(saved.Headers.Location!.OriginalString).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var stored = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("Helsinki news", stored.GetProperty("name").GetString());
        Assert.Equal("""{"match":"all","conditions":[{"field":"attributes.city","op":"eq","value":"Helsinki"}]}""", stored.GetProperty("segment").GetString());
        Assert.Equal("draft", stored.GetProperty("status").GetString());

        // The campaign page: the segment in words, who it goes to, and the preview for a chosen person.
        var campaign = await owner.GetPageAsync($"/admin/o/acme/campaigns/{id}?done=saved");
        Assert.Contains("city is Helsinki", campaign);
        Assert.Contains("<dd id=\"selection-count\">3</dd>", campaign);
        Assert.Contains("id=\"check-ok\"", campaign);
        Assert.Contains("News for Sample Subscriber", campaign);
        Assert.Contains("sandbox=\"\"", campaign);
        var preview = await owner.GetPageAsync($"/admin/o/acme/campaigns/{id}?email=p3@example.com");
        Assert.Contains("News for Person 3", preview);
        Assert.Contains("Hei Person 3, greetings to Helsinki!", preview);

        // Edited while a draft: the editor shows what is stored, and a change is saved.
        var edit = await owner.GetPageAsync($"/admin/o/acme/campaigns/{id}/edit");
        Assert.Contains("value=\"Helsinki news\"", edit);
        Assert.Contains("value=\"city\"", edit);
        var changed = await owner.PostFormAsync($"/admin/o/acme/campaigns/{id}/edit", $"/admin/o/acme/campaigns/{id}/edit",
            EditorFields(s, ("Form.Name", "Helsinki news, take 2"), ("Conditions.Rows[0].Field", ""), ("Conditions.Rows[0].Key", ""), ("Conditions.Rows[0].Value", "")));
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        stored = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("Helsinki news, take 2", stored.GetProperty("name").GetString());
        Assert.Equal("", stored.GetProperty("segment").GetString());
        Assert.Contains("Helsinki news, take 2", await owner.GetPageAsync("/admin/o/acme/campaigns"));
    }

    [Fact]
    public async Task Compliance_check_shows_on_the_page_and_blocks_the_start_until_layout_and_sender_domain_are_set()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var list = (await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" })).GetProperty("id").GetInt64();
        await CampaignSupport.SeedAsync(host.Db, org.OrgId, list, 3);
        using var api = host.Api(org.ApiKey);
        var id = await CampaignSupport.CreateCampaignAsync(api, new
        {
            name = "Unready", listIds = new[] { list }, fromName = "Acme", fromAddress = "hello@mail.acme.test", subject = "Hi", body = "Hello", bodyFormat = "markdown",
        });
        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        var url = $"/admin/o/acme/campaigns/{id}";

        var page = await owner.GetPageAsync(url);
        Assert.Contains("data-code=\"postal_address\"", page);
        Assert.Contains("data-code=\"dkim_key\"", page);
        Assert.Matches("<button type=\"submit\" id=\"start\" disabled", page);
        var start = await owner.PostFormAsync(url, url + "?handler=start");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, start.StatusCode);
        Assert.Contains("The compliance check found problems", await start.Content.ReadAsStringAsync());
        Assert.Equal("draft", await StatusAsync(api, id));

        // The layout page refuses a bad colour and keeps the address typed; then saves both.
        const string layout = "/admin/o/acme/settings/layout";
        var badLayout = await owner.PostFormAsync(layout, layout, ("PostalAddress", "Acme Oy\r\nKatu 1\r\n00100 Helsinki"), ("BrandColour", "blue"), ("CustomLayout", ""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLayout.StatusCode);
        var badPage = await badLayout.Content.ReadAsStringAsync();
        Assert.Contains("id=\"error-brandColour\"", badPage);
        Assert.Contains("The brand colour must be a colour such as #0b6e4f.", badPage);
        Assert.Contains("Katu 1", badPage);
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostFormAsync(layout, layout, ("PostalAddress", "Acme Oy\r\nKatu 1\r\n00100 Helsinki"), ("BrandColour", "#0b6e4f"), ("CustomLayout", ""))).StatusCode);
        var savedLayout = JsonDocument.Parse(await api.GetStringAsync("/api/v1/settings/layout")).RootElement;
        Assert.Equal("Acme Oy\nKatu 1\n00100 Helsinki", savedLayout.GetProperty("postalAddress").GetString());
        Assert.Equal("#0b6e4f", savedLayout.GetProperty("brandColour").GetString());

        // The sender domain page shows the DNS record to publish for the new key.
        const string domains = "/admin/o/acme/sender-domains";
        var badDomain = await owner.PostFormAsync(domains, domains + "?handler=add", ("domain", "not a domain"), ("algorithm", "rsa-sha256"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badDomain.StatusCode);
        Assert.Contains("value=\"not a domain\"", await badDomain.Content.ReadAsStringAsync());
        var added = await owner.PostFormAsync(domains, domains + "?handler=add", ("domain", "Mail.Acme.test"), ("algorithm", "ed25519-sha256"));
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        var domainPage = await owner.GetPageAsync(added.Headers.Location!.OriginalString);
        Assert.Contains("mail.acme.test added", domainPage);
        Assert.Contains("lupa._domainkey.mail.acme.test", domainPage);
        var record = WebUtility.HtmlDecode(Regex.Match(domainPage, "<code class=\"secret dns-value\">([^<]+)</code>").Groups[1].Value);
        Assert.StartsWith("v=DKIM1; k=ed25519; p=", record);
        var fromApi = JsonDocument.Parse(await api.GetStringAsync("/api/v1/sender-domains")).RootElement;
        Assert.Equal(record, Assert.Single(fromApi.EnumerateArray()).GetProperty("dnsValue").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await owner.PostFormAsync(domains, domains + "?handler=add", ("domain", "mail.acme.test"), ("algorithm", "rsa-sha256"))).StatusCode);
        // The API adds domains through the same checks.
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync("/api/v1/sender-domains", LupaTestHost.Json(new { domain = "mail.acme.test" }))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.PostAsync("/api/v1/sender-domains", LupaTestHost.Json(new { domain = "other.acme.test", algorithm = "dsa" }))).StatusCode);

        page = await owner.GetPageAsync(url);
        Assert.DoesNotContain("check-problems", page);
        Assert.Contains("id=\"check-ok\"", page);
        Assert.Contains("<button type=\"submit\" id=\"start\">", page);

        // Scheduled for a local time in a zone, and back to draft.
        var at = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd'T'09:00", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await owner.PostFormAsync(url, url + "?handler=schedule", ("at", at), ("zone", "Mars/Olympus"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await owner.PostFormAsync(url, url + "?handler=schedule", ("at", "2020-01-01T09:00"), ("zone", "Europe/Helsinki"))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostFormAsync(url, url + "?handler=schedule", ("at", at), ("zone", "Europe/Helsinki"))).StatusCode);
        var scheduled = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("scheduled", scheduled.GetProperty("status").GetString());
        Assert.Equal("Europe/Helsinki", scheduled.GetProperty("timeZone").GetString());
        Assert.Equal(9, TimeZoneInfo.ConvertTime(scheduled.GetProperty("scheduledAt").GetDateTimeOffset(), TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki")).Hour);
        page = await owner.GetPageAsync(url);
        Assert.Contains("id=\"scheduled-at\"", page);
        Assert.Contains("id=\"unschedule\"", page);
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostFormAsync(url, url + "?handler=act", ("act", "unschedule"))).StatusCode);
        Assert.Equal("draft", await StatusAsync(api, id));
    }

    [Fact]
    public async Task Starting_from_the_page_sends_and_the_page_pauses_resumes_and_lists_the_failed()
    {
        await using var relay = await TestRelay.StartAsync(keepMessages: false);
        var settings = TestRelay.Settings(relay.Port);
        settings["Lupa:Relays:0:MaxPerSecond"] = "60";
        settings["Lupa:Campaigns:BatchSize"] = "20";
        settings["Lupa:Campaigns:RetryBaseSeconds"] = "0.05";
        // The check renders the first five people only, so the one whose template runs away fails at send time.
        settings["Lupa:Campaigns:CheckRenderSample"] = "5";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 300);
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE subscribers SET attributes = '{\"n\":\"100000000\"}' WHERE email = 'p299@example.com'");
        using var api = host.Api(s.ApiKey);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, body: "{% for i in (1..subscriber.attributes.n) %}x{% endfor %} Hello"));
        using var owner = await OwnerAsync(host, s);
        var url = $"/admin/o/acme/campaigns/{id}";

        var started = await owner.PostFormAsync(url, url + "?handler=start");
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        Assert.Equal(url + "?done=started", started.Headers.Location!.OriginalString);
        await WaitForAsync(() => relay.Total > 20);
        var sending = await owner.GetPageAsync(url);
        Assert.Contains("id=\"progress-bar\"", sending);
        Assert.Contains("id=\"pause\"", sending);
        var progress = JsonDocument.Parse(await owner.GetPageAsync(url + "?handler=progress")).RootElement;
        Assert.Equal("sending", progress.GetProperty("status").GetString());
        Assert.Equal(300, progress.GetProperty("total").GetInt64());
        Assert.True(progress.GetProperty("sent").GetInt64() > 0);

        var pause = await owner.PostFormAsync(url, url + "?handler=act", ("act", "pause"));
        Assert.Equal(HttpStatusCode.Redirect, pause.StatusCode);
        Assert.Equal("paused", await StatusAsync(api, id));
        await Task.Delay(1500);
        var paused = relay.Total;
        await Task.Delay(1000);
        Assert.Equal(paused, relay.Total);
        Assert.True(paused < 299, $"{paused} sent before the pause took effect");
        var pausedPage = await owner.GetPageAsync(url + "?done=paused");
        Assert.Contains("id=\"resume\"", pausedPage);
        Assert.DoesNotContain("id=\"pause\"", pausedPage);
        Assert.Equal(HttpStatusCode.Conflict, (await owner.PostFormAsync(url, url + "?handler=act", ("act", "pause"))).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostFormAsync(url, url + "?handler=act", ("act", "resume"))).StatusCode);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        Assert.Equal(299, relay.Accepted.Count);
        Assert.Equal(0, relay.Duplicates);

        var finished = await owner.GetPageAsync(url);
        foreach (var expected in new[]
        {
            "<span class=\"badge campaign-sent big\" id=\"campaign-status\">sent</span>", "<div class=\"stat\" id=\"progress-sent\">299</div>",
            "<div class=\"stat\" id=\"progress-failed\">1</div>", "class=\"failed-row\"", "p299@example.com",
        })
            Assert.Contains(expected, finished);
        Assert.DoesNotContain("id=\"campaign-actions\"", finished);
    }

    [Fact]
    public async Task A_viewer_reads_campaigns_but_cannot_write_start_or_change_settings()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 3);
        using var api = host.Api(s.ApiKey);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var store = new Lupa.Storage.OrganisationStore(host.Db, s.OrgId);
        foreach (var role in new[] { "viewer", "marketer" })
            Assert.True(await store.AddPersonAsync(new Lupa.Storage.PersonToCreate($"{role}@acme.test", role, role, Lupa.Security.Passwords.Hash(role + "-password")), 0));
        var url = $"/admin/o/acme/campaigns/{id}";

        using var viewer = new Session(host);
        await viewer.LoginAsync("viewer@acme.test", "viewer-password");
        Assert.DoesNotContain("new-campaign", await viewer.GetPageAsync("/admin/o/acme/campaigns"));
        var page = await viewer.GetPageAsync(url);
        Assert.Contains("id=\"check-ok\"", page);
        Assert.Contains("id=\"preview-html\"", page);
        Assert.DoesNotContain("id=\"start\"", page);
        Assert.DoesNotContain("id=\"test-form\"", page);
        Assert.DoesNotContain("id=\"edit-campaign\"", page);
        // The token comes from the page's logout form: a viewer's campaign page has no form of its own to post.
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostFormAsync(url, url + "?handler=start")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostFormAsync(url, url + "?handler=test", ("addresses", "me@example.com"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostFormAsync(url, url + "?handler=act", ("act", "cancel"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/admin/o/acme/campaigns/new")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostFormAsync(url, $"{url}/edit", EditorFields(s))).StatusCode);
        Assert.Equal("draft", await StatusAsync(api, id));
        Assert.Equal("November news", JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement.GetProperty("name").GetString());

        // Sender domains and the layout are read by everyone and changed by owners and admins.
        foreach (var (who, password) in new[] { ("viewer@acme.test", "viewer-password"), ("marketer@acme.test", "marketer-password") })
        {
            using var session = new Session(host);
            await session.LoginAsync(who, password);
            Assert.Contains(CampaignSupport.Domain, await session.GetPageAsync("/admin/o/acme/sender-domains"));
            Assert.Contains("Katu 1", await session.GetPageAsync("/admin/o/acme/settings/layout"));
            Assert.Equal(HttpStatusCode.Forbidden, (await session.PostFormAsync(url, "/admin/o/acme/sender-domains?handler=add", ("domain", "other.acme.test"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await session.PostFormAsync(url, "/admin/o/acme/sender-domains?handler=remove", ("domain", CampaignSupport.Domain))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await session.PostFormAsync(url, "/admin/o/acme/settings/layout", ("PostalAddress", ""))).StatusCode);
        }
        Assert.Single(JsonDocument.Parse(await api.GetStringAsync("/api/v1/sender-domains")).RootElement.EnumerateArray());

        // A marketer may send a test from the page.
        using var marketer = new Session(host);
        await marketer.LoginAsync("marketer@acme.test", "marketer-password");
        var test = await marketer.PostFormAsync(url, url + "?handler=test", ("addresses", "me@example.com, boss@example.com"));
        Assert.Equal(HttpStatusCode.Redirect, test.StatusCode);
        var mail = Assert.Single(await host.WaitForMailAsync("boss@example.com"));
        Assert.StartsWith("[Test] ", mail.Subject);

        // Another organisation's people do not find the campaign.
        var beta = await host.CreateOrganisationAsync("beta");
        using var other = new Session(host);
        await other.LoginAsync(beta.OwnerEmail, beta.OwnerPassword);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/admin/o/beta/campaigns/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/admin/o/beta/campaigns/{id}?handler=progress")).StatusCode);
    }

    private static async Task WaitForAsync(Func<bool> condition, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}
