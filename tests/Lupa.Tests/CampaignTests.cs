using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dapper;
using Lupa.Domain;
using Lupa.Mail;
using MimeKit;

namespace Lupa.Tests;

public sealed class CampaignTests
{
    private static Dictionary<string, string?> Fast(Dictionary<string, string?> s)
    {
        s["Lupa:Campaigns:RetryBaseSeconds"] = "0.05";
        s["Lupa:Campaigns:ProbeSeconds"] = "1";
        return s;
    }

    [Fact]
    public async Task Campaign_reaches_each_confirmed_person_once_with_list_headers_verp_and_a_dkim_signature()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var host = await LupaTestHost.StartAsync(Fast(TestRelay.Settings(relay.Port)));
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 30);
        // p0..p9 are on both lists: they get one message, not two.
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.OtherListId, 10);
        // Never to receive: pending, unsubscribed, restricted, suppressed (the three last start confirmed).
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 4, from: 1000, domain: "never.test");
        await using (var c = await host.Db.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE subscriptions SET status = 'pending', confirmed_at = NULL WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'p1000@never.test')");
            await c.ExecuteAsync("UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = 1 WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'p1001@never.test')");
            await c.ExecuteAsync("UPDATE subscribers SET restricted_at = 1 WHERE email = 'p1002@never.test'");
            await c.ExecuteAsync("INSERT INTO suppressions (org_id, address_hash, list_id, reason, created_at) VALUES (@org, @hash, 0, 'complaint', 1)",
                new { org = s.OrgId, hash = SuppressionKey.For(host.Db.SuppressionKey, EmailAddress.Parse("p1003@never.test").Value!) });
        }

        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, lists: [s.ListId, s.OtherListId]));
        var check = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/check")).RootElement;
        Assert.True(check.GetProperty("ok").GetBoolean(), check.ToString());
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        var progress = done.GetProperty("progress");
        // The suppressed person is left out when their turn comes (the suppression is only a hash).
        Assert.Equal(31, progress.GetProperty("total").GetInt64());
        Assert.Equal(30, progress.GetProperty("sent").GetInt64());
        Assert.Equal(1, progress.GetProperty("skipped").GetInt64());
        Assert.Equal(0, progress.GetProperty("remaining").GetInt64());

        var received = relay.Messages.ToList();
        Assert.Equal(30, received.Count);
        Assert.Equal(0, relay.Duplicates);
        var rcpts = received.SelectMany(m => m.Recipients).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"p{i}@example.com").ToHashSet(), rcpts);
        Assert.DoesNotContain(rcpts, r => r.EndsWith("never.test", StringComparison.Ordinal));

        var mail = received.Single(m => m.Recipients[0] == "p3@example.com");
        var message = MimeMessage.Load(new MemoryStream(mail.Mime));
        Assert.Equal("News for Person 3", message.Subject);
        Assert.Contains("Hello Person 3 from Helsinki!", message.TextBody);
        Assert.Contains("Hello Person 3 from Helsinki!", message.HtmlBody);
        Assert.Contains("Katu 1", message.HtmlBody);
        Assert.IsType<MultipartAlternative>(message.Body);
        Assert.StartsWith("<http://127.0.0.1:", message.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        Assert.Contains("news.acme.", message.Headers[HeaderId.ListId]);
        Assert.StartsWith($"{id}:{s.OrgId}:campaign", message.Headers["Feedback-ID"]);
        Assert.Equal("support@acme.test", message.ReplyTo.Mailboxes.Single().Address);
        Assert.StartsWith($"c{id}.s", message.MessageId);
        Assert.StartsWith($"bounce+c{id}-s", mail.MailFrom);
        Assert.EndsWith("@" + CampaignSupport.Domain, mail.MailFrom);
        Assert.True(Lupa.Domain.Campaigns.ReturnPath.TryRead(host.Db.SuppressionKey, mail.MailFrom, out var campaignId, out var subscriberId));
        Assert.Equal(id, campaignId);
        Assert.True(subscriberId > 0);
        Assert.True(message.Headers.Contains(HeaderId.DkimSignature));
        Assert.True(DkimVerifier.Verify(mail.Mime, s.DnsRecord), "dkimverify refused the signature");

        // The unsubscribe link of a campaign mail ends the subscriptions on every list it went to.
        var unsubscribe = message.Headers[HeaderId.ListUnsubscribe]!.Split(',')[0].Trim('<', '>', ' ');
        using var client = host.Client();
        var post = await client.PostAsync(unsubscribe, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        using var c2 = await host.Db.OpenAsync();
        var statuses = (await c2.QueryAsync<string>("SELECT status FROM subscriptions WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'p3@example.com')")).ToList();
        Assert.Equal(["unsubscribed", "unsubscribed"], statuses);
    }

    [Fact]
    public async Task Compliance_check_lists_every_problem_and_blocks_the_start()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var list = (await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" })).GetProperty("id").GetInt64();
        using var api = host.Api(org.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, org.OrgId, list, 5);
        await using (var c = await host.Db.OpenAsync())
        {
            // One member whose consent was never recorded, and one whose attribute makes the template run away.
            await c.ExecuteAsync("DELETE FROM consent_records WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'p1@example.com')");
            await c.ExecuteAsync("UPDATE subscribers SET attributes = '{\"n\":\"100000000\"}' WHERE email = 'p2@example.com'");
        }
        var id = await CampaignSupport.CreateCampaignAsync(api, new
        {
            name = "Bad",
            listIds = new[] { list },
            fromName = "Acme",
            fromAddress = "hello@unregistered.test",
            subject = "Hi",
            body = "{% for i in (1..subscriber.attributes.n) %}x{% endfor %} hello",
            bodyFormat = "markdown",
        });
        var check = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/check")).RootElement;
        Assert.False(check.GetProperty("ok").GetBoolean());
        var codes = check.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("code").GetString()).ToHashSet();
        Assert.Contains("postal_address", codes);
        Assert.Contains("dkim_key", codes);
        Assert.Contains("consent_evidence", codes);
        Assert.Contains("render", codes);

        var start = await api.PostAsync($"/api/v1/campaigns/{id}/start", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, start.StatusCode);
        Assert.Equal("application/problem+json", start.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(4, problem.GetProperty("problems").GetArrayLength());
        var after = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("draft", after.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_campaign_input_gets_problem_json_naming_each_field()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        var r = await api.PostAsync("/api/v1/campaigns", LupaTestHost.Json(new
        {
            name = "",
            listIds = new[] { 9999L },
            segment = "{\"match\":\"all\",\"conditions\":[{\"field\":\"attributes.city\",\"op\":\"like\",\"value\":\"x\"}]}",
            fromAddress = "not an address",
            subject = "Hi {{ subscriber.name",
            body = "x",
            bodyFormat = "docx",
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        var errors = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        foreach (var field in new[] { "name", "listIds", "segment", "fromAddress", "bodyFormat" })
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        var liquid = await api.PostAsync("/api/v1/campaigns", LupaTestHost.Json(CampaignSupport.Campaign(s, body: "Hello {% if %}")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, liquid.StatusCode);
        Assert.True(JsonDocument.Parse(await liquid.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("body", out _));
        Assert.Empty(JsonDocument.Parse(await api.GetStringAsync("/api/v1/campaigns")).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Segment_narrows_the_recipients_and_preview_renders_for_a_chosen_subscriber()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var host = await LupaTestHost.StartAsync(Fast(TestRelay.Settings(relay.Port)));
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 30);
        var segment = "{\"match\":\"all\",\"conditions\":[{\"field\":\"attributes.city\",\"op\":\"eq\",\"value\":\"helsinki\"}]}";
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, segment: segment));

        var preview = await api.PostAsync($"/api/v1/campaigns/{id}/preview", LupaTestHost.Json(new { email = "p6@example.com" }));
        var rendered = JsonDocument.Parse(await preview.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("News for Person 6", rendered.GetProperty("subject").GetString());
        Assert.Contains("style=", rendered.GetProperty("html").GetString());
        Assert.DoesNotContain("<p>", rendered.GetProperty("text").GetString());
        Assert.Contains("Hello Person 6 from Helsinki!", rendered.GetProperty("text").GetString());

        var test = await api.PostAsync($"/api/v1/campaigns/{id}/test", LupaTestHost.Json(new { addresses = new[] { "qa@acme.test" } }));
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var tests = await host.WaitForMailAsync("qa@acme.test");
        Assert.StartsWith("[Test] ", Assert.Single(tests).Subject);
        var tooMany = await api.PostAsync($"/api/v1/campaigns/{id}/test", LupaTestHost.Json(new { addresses = Enumerable.Range(0, 11).Select(i => $"q{i}@acme.test").ToArray() }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.StatusCode);

        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal(10, done.GetProperty("progress").GetProperty("sent").GetInt64());
        Assert.All(relay.Messages, m => Assert.Equal(0, int.Parse(m.Recipients[0][1..m.Recipients[0].IndexOf('@')], System.Globalization.CultureInfo.InvariantCulture) % 3));
    }

    [Fact]
    public async Task A_relay_that_refuses_one_in_ten_and_drops_one_in_a_hundred_still_gets_every_message_exactly_once()
    {
        await using var relay = await TestRelay.StartAsync(policy: n => n % 100 == 50 ? ListenerAnswer.Drop
            : n % 10 == 3 ? ListenerAnswer.ServiceClosing421
            : n % 10 == 7 ? ListenerAnswer.LocalError451
            : ListenerAnswer.Accept, keepMessages: false);
        await using var host = await LupaTestHost.StartAsync(Fast(TestRelay.Settings(relay.Port)));
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        const int People = 2000;
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, People);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 120, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        var failed = await api.GetStringAsync($"/api/v1/campaigns/{id}/recipients?state=failed&limit=3");
        Assert.True(People == done.GetProperty("progress").GetProperty("sent").GetInt64(), failed);
        Assert.Equal(People, relay.Accepted.Count);
        Assert.Equal(0, relay.Duplicates);
        Assert.True(relay.Refused > 300, $"refused {relay.Refused}");
        Assert.True(relay.Dropped > 10, $"dropped {relay.Dropped}");
    }

    [Fact]
    public async Task A_template_error_for_one_subscriber_fails_that_recipient_and_not_the_campaign()
    {
        await using var relay = await TestRelay.StartAsync();
        var settings = Fast(TestRelay.Settings(relay.Port));
        // The check tries the first five people only, so the bad one is found at send time.
        settings["Lupa:Campaigns:CheckRenderSample"] = "5";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 20);
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE subscribers SET attributes = '{\"n\":\"100000000\"}' WHERE email = 'p19@example.com'");
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, body: "{% for i in (1..subscriber.attributes.n) %}x{% endfor %} Hello"));
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        var progress = done.GetProperty("progress");
        Assert.Equal(1, progress.GetProperty("failed").GetInt64());
        Assert.Equal(19, progress.GetProperty("sent").GetInt64());
        var failed = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/recipients?state=failed")).RootElement.GetProperty("items");
        Assert.Equal("p19@example.com", Assert.Single(failed.EnumerateArray()).GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(failed[0].GetProperty("lastError").GetString()));
    }

    [Fact]
    public async Task Pause_resume_and_cancel_take_effect_at_once()
    {
        await using var relay = await TestRelay.StartAsync(keepMessages: false);
        var settings = Fast(TestRelay.Settings(relay.Port));
        settings["Lupa:Relays:0:MaxPerSecond"] = "200";
        settings["Lupa:Campaigns:BatchSize"] = "50";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 3000);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        await WaitForAsync(() => relay.Total > 100);

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{id}/pause", null)).StatusCode);
        await Task.Delay(1500);
        var paused = relay.Total;
        await Task.Delay(1000);
        Assert.Equal(paused, relay.Total);
        var c = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("paused", c.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync($"/api/v1/campaigns/{id}/pause", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
        await WaitForAsync(() => relay.Total > paused + 100);
        var running = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement.GetProperty("progress");
        Assert.True(running.GetProperty("rate").GetDouble() > 0);

        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{id}/cancel", null)).StatusCode);
        await Task.Delay(1500);
        var cancelled = relay.Total;
        await Task.Delay(1000);
        Assert.Equal(cancelled, relay.Total);
        Assert.True(cancelled < 3000);
        var end = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("cancelled", end.GetProperty("status").GetString());
        Assert.Equal(0, relay.Duplicates);
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
    }

    [Fact]
    public async Task A_campaign_pauses_itself_while_the_relay_is_down_and_resumes_when_it_answers()
    {
        var port = TestDatabase.FreePort();
        var settings = Fast(TestRelay.Settings(port));
        settings["Lupa:Campaigns:FailureWindow"] = "20";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 200);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        var paused = await CampaignSupport.WaitAsync(api, id, 30, "paused");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.Contains("relay", paused.GetProperty("statusReason").GetString());

        await using var relay = await TestRelay.StartAsync(port);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        Assert.Equal(200, relay.Accepted.Count);
        Assert.Equal(0, relay.Duplicates);
    }

    [Fact]
    public async Task Two_nodes_on_one_database_share_a_campaign_with_no_duplicate_and_none_missed()
    {
        await using var relayA = await TestRelay.StartAsync(keepMessages: false);
        await using var relayB = await TestRelay.StartAsync(keepMessages: false);
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            await using var a = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, Fast(TestRelay.Settings(relayA.Port)));
            await using var b = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, Fast(TestRelay.Settings(relayB.Port)));
            var s = await CampaignSupport.SetUpAsync(a);
            using var api = a.Api(s.ApiKey);
            const int People = 6000;
            await CampaignSupport.SeedAsync(a.Db, s.OrgId, s.ListId, People);
            var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
            await CampaignSupport.StartAsync(api, id);
            var done = await CampaignSupport.WaitAsync(api, id, 120, "sent");
            Assert.Equal("sent", done.GetProperty("status").GetString());
            var all = relayA.Accepted.Keys.Concat(relayB.Accepted.Keys).ToList();
            Assert.Equal(People, all.Count);
            Assert.Equal(People, all.Distinct().Count());
            Assert.Equal(0, relayA.Duplicates + relayB.Duplicates);
            Assert.True(relayA.Total > 0 && relayB.Total > 0, $"node A sent {relayA.Total}, node B {relayB.Total}");
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task Results_the_database_cannot_take_for_a_while_are_kept_until_it_can_and_nothing_is_sent_twice()
    {
        await using var relay = await TestRelay.StartAsync(keepMessages: false);
        var settings = Fast(TestRelay.Settings(relay.Port));
        settings["Lupa:Relays:0:MaxPerSecond"] = "300";
        settings["Lupa:Campaigns:BatchSize"] = "100";
        // Short leases: a sent message whose result were lost would be claimed and sent again within the test.
        settings["Lupa:Campaigns:LeaseSeconds"] = "3";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        const int People = 2000;
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, People);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        await WaitForAsync(() => relay.Total > 200);

        // The recipients' table is away for 12 s (longer than the 10 s of tries the recorder once gave up after): no
        // claim, no result can be written, while messages already handed to the senders reach the relay.
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("ALTER TABLE campaign_recipients RENAME TO campaign_recipients_away");
        await Task.Delay(12_000);
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("ALTER TABLE campaign_recipients_away RENAME TO campaign_recipients");

        var done = await CampaignSupport.WaitAsync(api, id, 120, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        Assert.Equal(People, done.GetProperty("progress").GetProperty("sent").GetInt64());
        Assert.Equal(People, relay.Accepted.Count);
        Assert.Equal(0, relay.Duplicates);
    }

    [Fact]
    public async Task A_campaign_edited_or_unscheduled_after_it_was_read_for_its_start_does_not_start()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 5);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");
        var tomorrow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(1), zone).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var r = await api.PostAsync($"/api/v1/campaigns/{id}/schedule", LupaTestHost.Json(new { scheduledAt = tomorrow, timeZone = "Europe/Helsinki" }));
        Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        var store = new Lupa.Storage.CampaignStore(host.Db, s.OrgId);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        async Task<long> RecipientsAsync()
        {
            await using var c = await host.Db.OpenAsync();
            return await c.ExecuteScalarAsync<long>($"SELECT count(*) FROM campaign_recipients WHERE campaign_id = {id}");
        }

        // Read as due by the scheduler, then taken back to draft by its owner before the start: it stays a draft.
        var readWhenDue = (await store.GetAsync(id))!;
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{id}/unschedule", null)).StatusCode);
        Assert.Null(await store.StartAsync(readWhenDue, Lupa.Domain.Campaigns.Segment.Parse(readWhenDue.Segment).Value!, now));
        Assert.Equal("draft", (await store.GetAsync(id))!.Status);
        Assert.Equal(0, await RecipientsAsync());

        // Read and checked for a start, then edited before the start: the start is refused, the edit stays.
        var readForStart = (await store.GetAsync(id))!;
        await Task.Delay(5);
        var edit = await api.PutAsync($"/api/v1/campaigns/{id}", LupaTestHost.Json(CampaignSupport.Campaign(s, body: "Edited for {{ subscriber.name }}")));
        Assert.True(edit.IsSuccessStatusCode, await edit.Content.ReadAsStringAsync());
        Assert.Null(await store.StartAsync(readForStart, Lupa.Domain.Campaigns.Segment.Parse(readForStart.Segment).Value!, now));
        Assert.Equal(0, await RecipientsAsync());

        // Read as it now is, it starts.
        var current = (await store.GetAsync(id))!;
        Assert.Contains("Edited", current.Body);
        Assert.Equal(5, await store.StartAsync(current, Lupa.Domain.Campaigns.Segment.Parse(current.Segment).Value!, now + 10));
        Assert.Equal(5, await RecipientsAsync());
    }

    [Fact]
    public async Task A_start_or_resume_that_meets_a_suspension_made_after_its_check_does_not_send()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 5);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var store = new Lupa.Storage.CampaignStore(host.Db, s.OrgId);
        // Read and checked (not suspended then), and the organisation is suspended before the start is written.
        var read = (await store.GetAsync(id))!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO suspensions (org_id, measure, reason, suspended_at) VALUES (@OrgId, 'complaint_rate', 'complaints over the stop threshold', @now)", new { s.OrgId, now });
        Assert.Null(await store.StartAsync(read, Lupa.Domain.Campaigns.Segment.Parse(read.Segment).Value!, now));
        Assert.False(await store.ChangeStatusAsync(id, ["draft"], "sending", null, false, now));
        Assert.Equal("draft", (await store.GetAsync(id))!.Status);
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>($"SELECT count(*) FROM campaign_recipients WHERE campaign_id = {id}"));
        var refused = await api.PostAsync($"/api/v1/campaigns/{id}/start", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("sending_suspended", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_scheduled_campaign_starts_at_its_local_time()
    {
        await using var relay = await TestRelay.StartAsync();
        await using var host = await LupaTestHost.StartAsync(Fast(TestRelay.Settings(relay.Port)));
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 5);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddSeconds(3), zone).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var bad = await api.PostAsync($"/api/v1/campaigns/{id}/schedule", LupaTestHost.Json(new { scheduledAt = local, timeZone = "Mars/Olympus" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var r = await api.PostAsync($"/api/v1/campaigns/{id}/schedule", LupaTestHost.Json(new { scheduledAt = local, timeZone = "Europe/Helsinki" }));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("scheduled", JsonDocument.Parse(text).RootElement.GetProperty("status").GetString());
        Assert.Empty(relay.Messages);
        var done = await CampaignSupport.WaitAsync(api, id, 30, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        Assert.Equal(5, relay.Messages.Count);
    }

    [Fact]
    public async Task Transactional_mail_is_sent_with_its_legal_basis_but_never_to_a_hard_bounced_address()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        var body = new
        {
            to = "buyer@example.org",
            name = "Buyer",
            fromName = "Acme Shop",
            fromAddress = "shop@" + CampaignSupport.Domain,
            subject = "Your receipt {{ subscriber.attributes.order }}",
            body = "Thank you {{ subscriber.name }}, order {{ subscriber.attributes.order }} is paid.",
            legalBasis = "contract",
            data = new Dictionary<string, string> { ["order"] = "A-1001" },
        };
        var r = await api.PostAsync("/api/v1/transactional", LupaTestHost.Json(body));
        Assert.True(r.StatusCode == HttpStatusCode.Accepted, await r.Content.ReadAsStringAsync());
        var mail = Assert.Single(await host.WaitForMailAsync("buyer@example.org"));
        Assert.Equal("Your receipt A-1001", mail.Subject);
        var message = MimeMessage.Load(new MemoryStream(mail.Mime));
        Assert.Contains("order A-1001 is paid", message.TextBody);
        Assert.Null(message.Headers[HeaderId.ListUnsubscribe]);
        Assert.True(DkimVerifier.Verify(mail.Mime, s.DnsRecord));
        await using (var c = await host.Db.OpenAsync())
        {
            Assert.Equal("contract", await c.ExecuteScalarAsync<string>("SELECT legal_basis FROM outbox WHERE purpose = 'transactional'"));
            await c.ExecuteAsync("INSERT INTO suppressions (org_id, address_hash, list_id, reason, created_at) VALUES (@org, @hash, 0, 'hard_bounce', 1)",
                new { org = s.OrgId, hash = SuppressionKey.For(host.Db.SuppressionKey, EmailAddress.Parse("gone@example.org").Value!) });
        }
        var bounced = await api.PostAsync("/api/v1/transactional", LupaTestHost.Json(new { body.fromAddress, to = "gone@example.org", subject = "x", body = "x", legalBasis = "contract" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bounced.StatusCode);
        Assert.Contains("hard-bounced", await bounced.Content.ReadAsStringAsync());
        var noBasis = await api.PostAsync("/api/v1/transactional", LupaTestHost.Json(new { body.fromAddress, to = "x@example.org", subject = "x", body = "x", legalBasis = "marketing" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noBasis.StatusCode);
    }

    internal static async Task WaitForAsync(Func<bool> condition, int timeoutSeconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed.TotalSeconds < timeoutSeconds, "timed out waiting");
            await Task.Delay(20);
        }
    }
}

/// <summary>
/// Checks a DKIM signature with python3-dkim (Debian's dkimverify) through the unit tests' dkim_verify.py,
/// which answers only for the sender domain's key name with the record the API showed.
/// </summary>
public static class DkimVerifier
{
    public static bool Verify(byte[] mime, string dnsRecord)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mail", "dkim_verify.py"));
        psi.ArgumentList.Add(Lupa.Mail.Dkim.DkimKey.DnsName("lupa", CampaignSupport.Domain));
        psi.ArgumentList.Add(dnsRecord);
        using var p = Process.Start(psi)!;
        p.StandardInput.BaseStream.Write(mime);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error);
        return output.Trim() == "True";
    }
}
