using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Lupa.Domain.Bounces;
using Lupa.Mail;
using Lupa.Storage;
using MimeKit;

namespace Lupa.Tests;

/// <summary>
/// The acceptable use policy on the real host: complaints, hard bounces and unsubscribes that come in
/// while a campaign sends (slowly, through a rate-limited relay) pause it and suspend its organisation;
/// the organisation is refused and told why; the operator keeps or lifts the suspension. And the
/// organisation's reports as JSON and CSV.
/// </summary>
public sealed class AcceptableUseTests
{
    // Rates act from 20 messages on; the relay takes 30 a second, so a campaign of 150 is still sending when reports come in.
    private static Dictionary<string, string?> Slow(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Lupa:AcceptableUse:MinimumVolume"] = "20",
            ["Lupa:Relays:0:MaxPerSecond"] = "30",
            ["Lupa:Campaigns:BatchSize"] = "10",
        };
        foreach (var (k, v) in more)
            settings[k] = v;
        return settings;
    }

    // What the relay took of a campaign, once it took at least that many.
    private static async Task<List<CaughtMail>> RelayedAsync(TestRelay relay, long campaignId, int atLeast, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var mine = relay.Messages.Where(m => m.MailFrom.StartsWith($"bounce+c{campaignId}-", StringComparison.Ordinal)).ToList();
            if (mine.Count >= atLeast || DateTime.UtcNow > deadline)
                return mine;
            await Task.Delay(20);
        }
    }

    private static async Task<long> StartCampaignAsync(BounceTests.Scene scene)
    {
        var id = await CampaignSupport.CreateCampaignAsync(scene.Api, CampaignSupport.Campaign(scene.Setup));
        await CampaignSupport.StartAsync(scene.Api, id);
        return id;
    }

    private static async Task<JsonElement> JsonAsync(HttpClient api, string path) =>
        JsonDocument.Parse(await api.GetStringAsync(path)).RootElement.Clone();

    // The campaign paused itself with the policy's reason, the relay got no more of it, and the organisation is suspended for that measure.
    private static async Task<JsonElement> AssertStoppedAsync(BounceTests.Scene scene, long id, string measure, string words)
    {
        var paused = await CampaignSupport.WaitAsync(scene.Api, id, 30, "paused", "sent");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        var reason = paused.GetProperty("statusReason").GetString()!;
        Assert.StartsWith("Paused by the acceptable use policy: the " + words, reason);
        Assert.Contains("is suspended until the operator reviews it", reason);
        Assert.True(paused.GetProperty("acceptableUse").GetProperty("stoppedByPolicy").GetBoolean());
        Assert.Equal("stop", paused.GetProperty("acceptableUse").GetProperty("level").GetString());

        // Sending stopped: what was in flight at the pause may still arrive (a moment's worth), nothing after it.
        var atPause = (await RelayedAsync(scene.Relay, id, 0)).Count;
        await Task.Delay(1000);
        var drained = (await RelayedAsync(scene.Relay, id, 0)).Count;
        await Task.Delay(1500);
        Assert.Equal(drained, (await RelayedAsync(scene.Relay, id, 0)).Count);
        Assert.True(drained - atPause <= 20, $"{drained - atPause} messages went out after the pause");
        Assert.True(drained < 150, $"all {drained} went out");

        var standing = await JsonAsync(scene.Api, "/api/v1/acceptable-use");
        Assert.True(standing.GetProperty("suspended").GetBoolean());
        Assert.Equal("stop", standing.GetProperty("level").GetString());
        var suspension = standing.GetProperty("suspension");
        Assert.Equal(measure, suspension.GetProperty("measure").GetString());
        Assert.Equal(id, suspension.GetProperty("campaignId").GetInt64());
        Assert.Contains(words, suspension.GetProperty("reason").GetString());
        return paused;
    }

    [Fact]
    public async Task Complaints_over_the_stop_threshold_pause_the_campaign_and_suspend_sending_until_the_operator_lifts_it()
    {
        await using var scene = await BounceTests.SceneAsync(150, extra: Slow());
        var (host, s, api) = (scene.Host, scene.Setup, scene.Api);
        var id = await StartCampaignAsync(scene);

        // Two people complain while it sends: 2 of some 25 to 60 sent is far over 0.3%.
        var first = await RelayedAsync(scene.Relay, id, 25);
        Assert.True(first.Count >= 25, "the campaign did not get going");
        foreach (var m in first.Take(2))
            await BounceTests.DeliverAsync(scene.Port, BounceTests.Arf(m), BounceTests.ComplaintAddress);
        await AssertStoppedAsync(scene, id, "complaint_rate", "complaint rate is ");

        // A suspended organisation can neither start nor resume: 403 problem+json saying why.
        var other = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        foreach (var path in new[] { $"/api/v1/campaigns/{other}/start", $"/api/v1/campaigns/{id}/resume" })
        {
            var refused = await api.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("sending_suspended", problem.GetProperty("code").GetString());
            Assert.Contains("is suspended under the acceptable use policy", problem.GetProperty("detail").GetString());
            Assert.Contains("complaint rate", problem.GetProperty("detail").GetString());
        }
        var scheduled = await api.PostAsync($"/api/v1/campaigns/{other}/schedule", LupaTestHost.Json(new { scheduledAt = "2099-12-01T09:00", timeZone = "Europe/Helsinki" }));
        Assert.Equal(HttpStatusCode.Forbidden, scheduled.StatusCode);
        var check = await JsonAsync(api, $"/api/v1/campaigns/{other}/check");
        Assert.Contains(check.GetProperty("problems").EnumerateArray(), p => p.GetProperty("code").GetString() == "sending_suspended");

        // The owner reads why in the admin UI, on every page and beside the refused start, and by mail.
        using var owner = new Session(host);
        await owner.LoginAsync(s.OwnerEmail, s.OwnerPassword);
        var campaignPage = await owner.GetPageAsync($"/admin/o/acme/campaigns/{id}");
        Assert.Contains("id=\"sending-suspended\"", campaignPage);
        Assert.Contains("Paused by the acceptable use policy", campaignPage);
        Assert.Contains("id=\"policy-stopped\"", campaignPage);
        var start = await owner.PostFormAsync($"/admin/o/acme/campaigns/{other}", $"/admin/o/acme/campaigns/{other}?handler=start");
        Assert.Equal(HttpStatusCode.Forbidden, start.StatusCode);
        Assert.Contains("is suspended under the acceptable use policy", WebUtility.HtmlDecode(await start.Content.ReadAsStringAsync()));
        var mail = await host.WaitForMailAsync(s.OwnerEmail);
        Assert.Contains(mail, m => m.Subject == "Sending of acme Oy is suspended");

        // The operator sees it on the dashboard and keeps it, with a note the organisation reads.
        using var op = new Session(host);
        await op.LoginAsync("operator@lupa.localhost", "operator-password");
        var dashboard = await op.GetPageAsync("/admin/acceptable-use");
        var suspensionId = (await new AcceptableUseStore(host.Db).OpenAsync(s.OrgId))!.Id;
        Assert.Contains($"id=\"suspension-{suspensionId}\"", dashboard);
        Assert.Contains("data-org=\"acme\" data-level=\"stop\"", dashboard);
        var bad = await op.PostFormAsync("/admin/acceptable-use", "/admin/acceptable-use?handler=review", ("id", suspensionId.ToString(CultureInfo.InvariantCulture)), ("decision", "forgive"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var keep = await op.PostFormAsync("/admin/acceptable-use", "/admin/acceptable-use?handler=review",
            ("id", suspensionId.ToString(CultureInfo.InvariantCulture)), ("decision", "keep"), ("note", "Tell us where the list came from."));
        Assert.Equal(HttpStatusCode.Redirect, keep.StatusCode);
        Assert.True((await JsonAsync(api, "/api/v1/acceptable-use")).GetProperty("suspended").GetBoolean());
        Assert.Contains("Tell us where the list came from.", await owner.GetPageAsync("/admin/o/acme/campaigns"));

        // Lifted: the organisation may start and resume again; the stopped campaign is not stopped twice for the same figures.
        var lift = await op.PostFormAsync("/admin/acceptable-use", "/admin/acceptable-use?handler=review",
            ("id", suspensionId.ToString(CultureInfo.InvariantCulture)), ("decision", "lift"), ("note", "Explained: an old list, now cleaned."));
        Assert.Equal(HttpStatusCode.Redirect, lift.StatusCode);
        var again = await op.PostFormAsync("/admin/acceptable-use", "/admin/acceptable-use?handler=review", ("id", suspensionId.ToString(CultureInfo.InvariantCulture)), ("decision", "lift"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var standing = await JsonAsync(api, "/api/v1/acceptable-use");
        Assert.False(standing.GetProperty("suspended").GetBoolean());
        Assert.DoesNotContain("id=\"sending-suspended\"", await owner.GetPageAsync("/admin/o/acme/campaigns"));
        await CampaignSupport.StartAsync(api, other);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{other}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        Assert.Equal(0, scene.Relay.Duplicates);

        var actions = (await new AuditStore(host.Db).ListAsync(s.OrgId, 50)).Select(e => e.Action).ToList();
        Assert.Contains("campaign.policy_stop", actions);
        Assert.Contains("sending.suspend", actions);
        Assert.Contains("sending.keep_suspended", actions);
        Assert.Contains("sending.lift", actions);
    }

    [Fact]
    public async Task A_complaint_over_the_warning_threshold_is_shown_and_pauses_nothing()
    {
        await using var scene = await BounceTests.SceneAsync(60, extra: Slow(("Lupa:AcceptableUse:ComplaintWarningRate", "0.01"), ("Lupa:AcceptableUse:ComplaintStopRate", "0.5")));
        var (host, api) = (scene.Host, scene.Api);
        var id = await StartCampaignAsync(scene);
        var first = await RelayedAsync(scene.Relay, id, 25);
        await BounceTests.DeliverAsync(scene.Port, BounceTests.Arf(first[0]), BounceTests.ComplaintAddress);

        var done = await CampaignSupport.WaitAsync(api, id, 30, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        var policy = done.GetProperty("acceptableUse");
        Assert.Equal("warning", policy.GetProperty("level").GetString());
        Assert.False(policy.GetProperty("stoppedByPolicy").GetBoolean());
        var complaints = policy.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("measure").GetString() == "complaint_rate");
        Assert.Equal(1, complaints.GetProperty("count").GetInt64());
        Assert.Equal("warning", complaints.GetProperty("level").GetString());
        var standing = await JsonAsync(api, "/api/v1/acceptable-use");
        Assert.False(standing.GetProperty("suspended").GetBoolean());
        Assert.Equal("warning", standing.GetProperty("level").GetString());

        using var owner = new Session(host);
        await owner.LoginAsync(scene.Setup.OwnerEmail, scene.Setup.OwnerPassword);
        var page = await owner.GetPageAsync($"/admin/o/acme/campaigns/{id}");
        Assert.Contains("id=\"policy-warning\"", page);
        Assert.Contains("data-measure=\"complaint_rate\" data-level=\"warning\"", page);
        Assert.DoesNotContain("id=\"sending-suspended\"", page);
        Assert.Contains("id=\"standing-warning\"", await owner.GetPageAsync("/admin/o/acme/reports"));
        using var op = new Session(host);
        await op.LoginAsync("operator@lupa.localhost", "operator-password");
        Assert.Contains("data-org=\"acme\" data-level=\"warning\"", await op.GetPageAsync("/admin/acceptable-use"));

        // Sending goes on.
        var next = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(scene.Setup));
        await CampaignSupport.StartAsync(api, next);
    }

    [Fact]
    public async Task One_complaint_of_ten_sent_stops_nothing_under_the_minimum_volume()
    {
        await using var scene = await BounceTests.SceneAsync(10);
        var (id, mail) = await BounceTests.SendCampaignAsync(scene.Api, scene.Setup, scene.Relay);
        await BounceTests.DeliverAsync(scene.Port, BounceTests.Arf(mail["p0@example.com"]), BounceTests.ComplaintAddress);

        var campaign = await JsonAsync(scene.Api, $"/api/v1/campaigns/{id}");
        Assert.Equal(1, campaign.GetProperty("bounces").GetProperty("complaints").GetInt64());
        var complaints = campaign.GetProperty("acceptableUse").GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("measure").GetString() == "complaint_rate");
        Assert.Equal(0.1, complaints.GetProperty("rate").GetDouble());
        Assert.False(complaints.GetProperty("judged").GetBoolean());
        Assert.Equal("ok", complaints.GetProperty("level").GetString());
        var standing = await JsonAsync(scene.Api, "/api/v1/acceptable-use");
        Assert.False(standing.GetProperty("suspended").GetBoolean());
        Assert.Equal(500, standing.GetProperty("minimumVolume").GetInt64());
    }

    [Fact]
    public async Task A_hard_bounce_rate_over_the_stop_threshold_pauses_the_campaign()
    {
        // The relay refuses every fourth message for good: a quarter of them hard-bounce during the send.
        await using var scene = await BounceTests.SceneAsync(150, policy: n => n % 4 == 0 ? ListenerAnswer.Refuse550 : ListenerAnswer.Accept, extra: Slow());
        var id = await StartCampaignAsync(scene);
        var paused = await AssertStoppedAsync(scene, id, "hard_bounce_rate", "hard-bounce rate is ");
        // It stops as soon as the minimum volume is counted, whatever the batches' timing made the count then.
        Assert.True(paused.GetProperty("bounces").GetProperty("hard").GetInt64() >= 1);
        var finding = paused.GetProperty("acceptableUse").GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("measure").GetString() == "hard_bounce_rate");
        Assert.True(finding.GetProperty("judged").GetBoolean());
        Assert.True(finding.GetProperty("rate").GetDouble() > finding.GetProperty("stopAt").GetDouble(), finding.ToString());
    }

    [Fact]
    public async Task An_unsubscribe_spike_pauses_the_campaign()
    {
        await using var scene = await BounceTests.SceneAsync(150, extra: Slow());
        var id = await StartCampaignAsync(scene);
        var first = await RelayedAsync(scene.Relay, id, 25);
        using var web = scene.Host.Client();
        foreach (var m in first.Take(6))
        {
            // RFC 8058 one click, as a mailbox provider sends it.
            var message = MimeMessage.Load(new MemoryStream(m.Mime));
            var link = message.Headers[HeaderId.ListUnsubscribe]!.Split(',')[0].Trim('<', '>', ' ');
            var post = await web.PostAsync(link, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }
        var paused = await AssertStoppedAsync(scene, id, "unsubscribe_rate", "unsubscribe rate is ");
        Assert.Equal(6, paused.GetProperty("acceptableUse").GetProperty("unsubscribes").GetInt64());
    }

    [Fact]
    public async Task The_organisations_growth_and_consent_sources_come_as_json_and_csv()
    {
        await using var host = await LupaTestHost.StartAsync();
        var s = await CampaignSupport.SetUpAsync(host);
        var stranger = await host.CreateOrganisationAsync("muu");
        using var api = host.Api(s.ApiKey);
        var ids = new List<long>();
        foreach (var (email, method, source) in new[]
        {
            ("anna@example.fi", "paper", "Signup sheet, Helsinki fair"),
            ("bertta@example.fi", "paper", "Signup sheet, Helsinki fair"),
            ("cecilia@example.fi", "paper", "Signup sheet, Helsinki fair"),
            ("doris@example.fi", "form", "https://acme.test/join?utm_source=a"),
            ("eeva@example.fi", "form", "https://acme.test/join?utm_source=b"),
        })
        {
            var r = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
            {
                email, name = email[..4], listIds = new[] { s.ListId },
                consent = new { timestamp = "2026-01-10T09:30:00Z", method, source },
            }));
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            ids.Add(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64());
        }
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync($"/api/v1/subscribers/{ids[4]}/lists/{s.ListId}")).StatusCode);
        var campaign = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(BounceOutcome.Recorded, await new BounceRecorder(host.Db).RecordAsync(
            new NewBounce(campaign, ids[0], BounceKinds.Hard, "5.1.1", "550 5.1.1 User unknown", BounceSources.Listener, null, now)));
        // A grant recorded two weeks ago lands two weeks back.
        await using (var c = await host.Db.OpenAsync())
        {
            await c.ExecuteAsync(
                "INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, recorded_at) VALUES (@OrgId, @sub, @OtherListId, 'grant', 'double_opt_in', @then, @then)",
                new { s.OrgId, sub = ids[1], s.OtherListId, then = now - 14 * 86_400_000L });
        }

        var growth = await JsonAsync(api, "/api/v1/reports/growth");
        var weeks = growth.GetProperty("weeks").EnumerateArray().ToList();
        Assert.Equal(12, weeks.Count);
        var thisWeek = weeks[^1];
        Assert.Equal(DayOfWeek.Monday, DateOnly.Parse(thisWeek.GetProperty("weekStart").GetString()!, CultureInfo.InvariantCulture).DayOfWeek);
        Assert.Equal(5, thisWeek.GetProperty("confirmations").GetInt64());
        Assert.Equal(1, thisWeek.GetProperty("unsubscribes").GetInt64());
        Assert.Equal(1, thisWeek.GetProperty("hardBounces").GetInt64());
        Assert.Equal(4, thisWeek.GetProperty("net").GetInt64());
        Assert.Equal(1, weeks[^3].GetProperty("confirmations").GetInt64());
        Assert.Equal(6, growth.GetProperty("totals").GetProperty("confirmations").GetInt64());
        Assert.Equal(weeks[0].GetProperty("weekStart").GetString(), growth.GetProperty("from").GetString());

        var ofList = await JsonAsync(api, $"/api/v1/reports/growth?weeks=4&listId={s.ListId}");
        Assert.Equal(4, ofList.GetProperty("weeks").GetArrayLength());
        Assert.Equal(5, ofList.GetProperty("totals").GetProperty("confirmations").GetInt64());
        Assert.Equal(0, (await JsonAsync(api, $"/api/v1/reports/growth?listId={s.OtherListId}")).GetProperty("totals").GetProperty("hardBounces").GetInt64());

        var csv = await api.GetAsync("/api/v1/reports/growth?weeks=3&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("week_start,confirmations,unsubscribes,hard_bounces,soft_bounces,complaints,net", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.EndsWith(",5,1,1,0,0,4", lines[^1]);
        Assert.EndsWith(",1,0,0,0,0,1", lines[1]);

        foreach (var (query, status, field) in new[]
        {
            ("weeks=0", 422, "weeks"), ("weeks=261", 422, "weeks"), ("weeks=abc", 422, "weeks"), ("format=xml", 422, "format"),
            ("listId=x", 422, "listId"), ("listId=999999", 404, null), ($"listId={(await host.CreateListAsync(stranger.ApiKey, new { name = "Muu", slug = "muu" })).GetProperty("id").GetInt64()}", 404, null),
        })
        {
            var r = await api.GetAsync("/api/v1/reports/growth?" + query);
            Assert.Equal(status, (int)r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            if (field is not null)
                Assert.True(JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _), query);
        }

        var sources = await JsonAsync(api, "/api/v1/reports/consent-sources");
        var methods = sources.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!, m => (m.GetProperty("grants").GetInt64(), m.GetProperty("withdrawals").GetInt64()));
        Assert.Equal((3, 0), methods["paper"]);
        Assert.Equal((2, 0), methods["form"]);
        Assert.Equal((1, 0), methods["double_opt_in"]);
        Assert.Equal((0, 1), methods["api"]);
        var bySource = sources.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal("Signup sheet, Helsinki fair", bySource[0].GetProperty("source").GetString());
        Assert.Equal(3, bySource[0].GetProperty("grants").GetInt64());
        // The form's page without the campaign tags: one source.
        var form = Assert.Single(bySource, x => x.GetProperty("method").GetString() == "form");
        Assert.Equal("https://acme.test/join", form.GetProperty("source").GetString());
        Assert.Equal(2, form.GetProperty("grants").GetInt64());
        var sourcesCsv = await api.GetStringAsync("/api/v1/reports/consent-sources?format=csv");
        Assert.StartsWith("section,method,evidence_method,source,grants,withdrawals\n", sourcesCsv);
        Assert.Contains("\nsource,paper,,\"Signup sheet, Helsinki fair\",3,\n", sourcesCsv);
        Assert.Contains("\nmethod,api,,,0,1\n", sourcesCsv);

        // Another organisation's key sees only its own.
        using var theirs = host.Api(stranger.ApiKey);
        Assert.Equal(0, (await JsonAsync(theirs, "/api/v1/reports/growth")).GetProperty("totals").GetProperty("confirmations").GetInt64());
        Assert.Empty((await JsonAsync(theirs, "/api/v1/reports/consent-sources")).GetProperty("methods").EnumerateArray());

        // The admin UI draws the same as charts and hands out the same CSV.
        using var owner = new Session(host);
        await owner.LoginAsync(s.OwnerEmail, s.OwnerPassword);
        var page = await owner.GetPageAsync("/admin/o/acme/reports");
        Assert.Contains("<svg id=\"growth-chart\"", page);
        Assert.Contains("<svg id=\"consent-methods-chart\"", page);
        Assert.Contains("id=\"total-confirmations\">6<", page);
        var download = await owner.GetAsync("/admin/o/acme/reports?weeks=3&handler=growthCsv");
        Assert.Equal("text/csv", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(string.Join('\n', lines) + "\n", await download.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await owner.GetAsync("/admin/o/acme/reports?weeks=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/admin/o/acme/reports?list=999999")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/admin/o/muu/reports")).StatusCode);
    }
}
