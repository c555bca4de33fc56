using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapper;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lupa.Tests;

/// <summary>Retention policies (GDPR Article 5(1)(e)): what the job removes, after how long, and what it leaves.</summary>
public sealed class RetentionTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task ProblemAsync(HttpResponseMessage r, HttpStatusCode expected, string field)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    /// <summary>The retention job as it would run at <paramref name="now"/> (the data itself was made at the real time).</summary>
    private static RetentionService At(LupaTestHost host, DateTimeOffset now)
    {
        var sp = host.App.Services;
        return new RetentionService(host.Db, host.Store, sp.GetRequiredService<ErasureScrubber>(), sp.GetRequiredService<AuditTrail>(),
            sp.GetRequiredService<DataRecipientService>(), sp.GetRequiredService<IOptions<LupaOptions>>(), new FakeClock(now), NullLogger<RetentionService>.Instance);
    }

    private static async Task<RetentionRunResult> RunAsync(LupaTestHost host, string slug, DateTimeOffset now, bool dryRun = false) =>
        await At(host, now).RunAsync((await host.Store.FindOrganisationAsync(slug))!, "tester", dryRun, null, null, CancellationToken.None);

    private static async Task<long> AddAsync(HttpClient api, string email, string[] lists, bool evidence)
    {
        var body = evidence
            ? (object)new { email, name = "N", lists, consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messut" } }
            : new { email, name = "N", lists };
        var r = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(body));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
    }

    private static async Task<JsonElement?> FindAsync(HttpClient api, string email)
    {
        var page = await JsonAsync(await api.GetAsync("/api/v1/subscribers?email=" + Uri.EscapeDataString(email)), HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().Select(x => (JsonElement?)x).FirstOrDefault();
    }

    private static async Task<(Organisations.CreatedOrganisation Org, long News, long Offers)> OrganisationAsync(LupaTestHost host, string slug = "acme")
    {
        var org = await host.CreateOrganisationAsync(slug);
        var news = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en", purpose = "Monthly news" });
        var offers = await host.CreateListAsync(org.ApiKey, new { name = "Offers", slug = "offers", language = "en" });
        return (org, news.GetProperty("id").GetInt64(), offers.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task The_policy_has_defaults_and_a_value_out_of_range_gets_422_naming_the_field()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _, _) = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        var policy = await JsonAsync(await api.GetAsync("/api/v1/privacy/retention"), HttpStatusCode.OK);
        Assert.Equal(30, policy.GetProperty("pendingDays").GetInt32());
        Assert.Equal(13, policy.GetProperty("trackingMonths").GetInt32());
        Assert.Equal(24, policy.GetProperty("unsubscribedMonths").GetInt32());
        Assert.Equal(3, policy.GetProperty("closedRequestYears").GetInt32());
        Assert.True(policy.GetProperty("isDefault").GetBoolean());
        Assert.Equal(4, policy.GetProperty("rules").GetArrayLength());

        await ProblemAsync(await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { pendingDays = 0 })), HttpStatusCode.UnprocessableEntity, "pendingDays");
        await ProblemAsync(await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { closedRequestYears = 11 })), HttpStatusCode.UnprocessableEntity, "closedRequestYears");
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { pendingDay = 5 }))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { pendingDays = "soon" }))).StatusCode);
        Assert.True((await JsonAsync(await api.GetAsync("/api/v1/privacy/retention"), HttpStatusCode.OK)).GetProperty("isDefault").GetBoolean());

        var set = await JsonAsync(await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { unsubscribedMonths = 6 })), HttpStatusCode.OK);
        Assert.Equal(6, set.GetProperty("unsubscribedMonths").GetInt32());
        Assert.Equal(30, set.GetProperty("pendingDays").GetInt32());
        Assert.False(set.GetProperty("isDefault").GetBoolean());
        Assert.StartsWith("api-key:", set.GetProperty("updatedBy").GetString());
        Assert.Contains(await new AuditStore(host.Db).ListAsync(org.OrgId, 50), e => e.Action == "retention.policy");

        // The admin page: a bad value is refused beside the form, a good one saved.
        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        var refused = await owner.PostFormAsync("/admin/o/acme/privacy/retention", "/admin/o/acme/privacy/retention?handler=save",
            ("pendingDays", "400"), ("trackingMonths", "13"), ("unsubscribedMonths", "6"), ("closedRequestYears", "3"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("from 1 to 365 days", await refused.Content.ReadAsStringAsync());
        var saved = await owner.PostFormAsync("/admin/o/acme/privacy/retention", "/admin/o/acme/privacy/retention?handler=save",
            ("pendingDays", "14"), ("trackingMonths", "13"), ("unsubscribedMonths", "6"), ("closedRequestYears", "3"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Equal(14, (await JsonAsync(await api.GetAsync("/api/v1/privacy/retention"), HttpStatusCode.OK)).GetProperty("pendingDays").GetInt32());
        Assert.Contains("removed after 14 days", await owner.GetPageAsync("/admin/o/acme/privacy/retention"));
    }

    [Fact]
    public async Task Unconfirmed_subscriptions_and_people_who_never_confirmed_go_after_the_pending_period_and_the_run_is_logged()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _, offers) = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        await AddAsync(api, "pending@example.fi", ["news"], evidence: false);
        var mixed = await AddAsync(api, "mixed@example.fi", ["news"], evidence: true);
        await AddAsync(api, "mixed@example.fi", ["offers"], evidence: false);
        await AddAsync(api, "held@example.fi", ["news"], evidence: false);
        await AddAsync(api, "confirmed@example.fi", ["news"], evidence: true);
        await host.WaitForMailAsync("pending@example.fi");
        // An open request keeps the person as they are until it is answered; an unverified one is itself removed.
        await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "access", email = "held@example.fi" })), HttpStatusCode.Created);
        using (var visitor = new PrivacyRequestTests.Visitor(host))
            Assert.Equal(HttpStatusCode.OK, (await visitor.PostFormAsync("/privacy/acme?lang=en", ("email", "someone@example.fi"), ("choice", "access"))).StatusCode);

        var now = DateTimeOffset.UtcNow;
        var early = await RunAsync(host, "acme", now.AddDays(29));
        Assert.All(early.Counts.Values, n => Assert.Equal(0, n));

        var dry = await RunAsync(host, "acme", now.AddDays(31), dryRun: true);
        Assert.Null(dry.RunId);
        Assert.Equal(2, dry.Counts[RetentionSteps.PendingSubscriptions]);
        Assert.Equal(1, dry.Counts[RetentionSteps.PendingPeople]);
        Assert.Equal(1, dry.Counts[RetentionSteps.UnverifiedRequests]);
        Assert.NotNull(await FindAsync(api, "pending@example.fi"));

        var run = await RunAsync(host, "acme", now.AddDays(31));
        Assert.Equal(dry.Counts, run.Counts);
        Assert.Null(await FindAsync(api, "pending@example.fi"));
        var m = (await FindAsync(api, "mixed@example.fi"))!.Value;
        Assert.Equal(mixed, m.GetProperty("id").GetInt64());
        Assert.Equal("news", Assert.Single(m.GetProperty("subscriptions").EnumerateArray()).GetProperty("listSlug").GetString());
        Assert.DoesNotContain(m.GetProperty("subscriptions").EnumerateArray(), s => s.GetProperty("listId").GetInt64() == offers);
        Assert.Equal("pending", (await FindAsync(api, "held@example.fi"))!.Value.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        Assert.NotNull(await FindAsync(api, "confirmed@example.fi"));
        await using (var c = await host.Db.OpenAsync())
        {
            // Their confirmation mail went with them; never having been on a list, they leave no suppression entry.
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox WHERE rcpt_to = 'pending@example.fi'"));
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM caught_messages WHERE rcpt_to = 'pending@example.fi'"));
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM suppressions WHERE reason = 'erased'"));
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM privacy_requests WHERE status = 'received'"));
        }

        // The log and the audit trail say what was removed, by whom.
        var runs = await JsonAsync(await api.GetAsync("/api/v1/privacy/retention/runs"), HttpStatusCode.OK);
        Assert.Equal(2, runs.GetArrayLength());
        var logged = runs[0];
        Assert.Equal(run.RunId, logged.GetProperty("id").GetInt64());
        Assert.Equal("done", logged.GetProperty("status").GetString());
        Assert.Equal("tester", logged.GetProperty("actor").GetString());
        Assert.Equal(1, logged.GetProperty("counts").GetProperty("pendingPeople").GetInt64());
        var entry = Assert.Single(await new AuditStore(host.Db).ListAsync(org.OrgId, 100), e => e.Action == "retention.run" && e.Subject == $"retention_run:{run.RunId}");
        Assert.Equal("tester", entry.Actor);
        Assert.Contains("\"pendingSubscriptions\":2", entry.Details);
        Assert.Null(await new AuditStore(host.Db).VerifyAsync());

        // Running again removes nothing more.
        Assert.All((await RunAsync(host, "acme", now.AddDays(31))).Counts.Values, n => Assert.Equal(0, n));
    }

    [Fact]
    public async Task People_who_unsubscribed_from_everything_are_erased_after_the_period_and_only_the_suppression_hash_stays()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, news, offers) = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        const string Gone = "kalle.kuopiovaara@example.fi";
        var gone = await AddAsync(api, Gone, ["news"], evidence: true);
        await JsonAsync(await api.PatchAsync($"/api/v1/subscribers/{gone}", LupaTestHost.Json(new { name = "Kalle Kuopiovaara" })), HttpStatusCode.OK);
        var restricted = await AddAsync(api, "restricted@example.fi", ["news"], evidence: true);
        var partly = await AddAsync(api, "partly@example.fi", ["news", "offers"], evidence: true);
        await JsonAsync(await api.DeleteAsync($"/api/v1/subscribers/{gone}/lists/{news}"), HttpStatusCode.OK);
        await JsonAsync(await api.DeleteAsync($"/api/v1/subscribers/{restricted}/lists/{news}"), HttpStatusCode.OK);
        await JsonAsync(await api.PostAsync($"/api/v1/subscribers/{restricted}/restrict", null), HttpStatusCode.OK);
        await JsonAsync(await api.DeleteAsync($"/api/v1/subscribers/{partly}/lists/{offers}"), HttpStatusCode.OK);

        var now = DateTimeOffset.UtcNow;
        Assert.Equal(0, (await RunAsync(host, "acme", now.AddMonths(23))).Counts[RetentionSteps.UnsubscribedPeople]);
        Assert.Equal(1, (await RunAsync(host, "acme", now.AddMonths(25), dryRun: true)).Counts[RetentionSteps.UnsubscribedPeople]);
        var run = await RunAsync(host, "acme", now.AddMonths(25));
        Assert.Equal(1, run.Counts[RetentionSteps.UnsubscribedPeople]);
        Assert.Null(await FindAsync(api, Gone));
        Assert.NotNull(await FindAsync(api, "restricted@example.fi"));
        Assert.NotNull(await FindAsync(api, "partly@example.fi"));

        // Erased as Article 17 erases: a keyed hash on the suppression list, so the API cannot bring the person back ...
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM suppressions WHERE org_id = @OrgId AND reason = 'erased' AND list_id = 0", new { org.OrgId }));
        var again = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = Gone, lists = new[] { "news" }, consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messut" },
        }));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        // ... and, once the files are scrubbed, nothing of them is readable in the database.
        Assert.True(await host.App.Services.GetRequiredService<ErasureScrubber>().ScrubAsync());
        Assert.Empty(await PrivacyRightsTests.FilesContainingAsync(host, Gone, "Kuopiovaara"));
    }

    [Fact]
    public async Task Delivery_records_of_finished_campaigns_bounce_and_tracking_events_go_after_the_tracking_period_and_the_counts_stay()
    {
        await using var relay = await TestRelay.StartAsync(policy: n => n == 1 ? ListenerAnswer.Refuse550 : ListenerAnswer.Accept);
        await using var host = await LupaTestHost.StartAsync(TestRelay.Settings(relay.Port));
        var s = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 4);
        using var api = host.Api(s.ApiKey);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        var sent = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", sent.GetProperty("status").GetString());
        Assert.Equal(1, sent.GetProperty("bounces").GetProperty("hard").GetInt64());

        var now = DateTimeOffset.UtcNow;
        // An open kept with the person (individual tracking) and the count it was added to, which names no one.
        await using (var t = await host.Db.OpenAsync())
        {
            var at = now.ToUnixTimeMilliseconds();
            await t.ExecuteAsync("INSERT INTO tracking_events (org_id, campaign_id, subscriber_id, kind, link_id, machine, at) VALUES (@OrgId, @id, 1, 1, 0, 0, @at)",
                new { s.OrgId, id, at });
            await t.ExecuteAsync("INSERT INTO tracking_counts (campaign_id, kind, link_id, machine, hour, total) VALUES (@id, 1, 0, 0, @hour, 1)",
                new { id, hour = at - at % 3_600_000 });
        }
        var early = await RunAsync(host, "acme", now.AddMonths(12));
        Assert.Equal(0, early.Counts[RetentionSteps.CampaignRecipients] + early.Counts[RetentionSteps.BounceEvents] + early.Counts[RetentionSteps.TrackingEvents]);
        var run = await RunAsync(host, "acme", now.AddMonths(14));
        Assert.Equal(4, run.Counts[RetentionSteps.CampaignRecipients]);
        Assert.Equal(1, run.Counts[RetentionSteps.BounceEvents]);
        Assert.Equal(1, run.Counts[RetentionSteps.TrackingEvents]);
        Assert.Equal(0, run.Counts[RetentionSteps.UnsubscribedPeople]);

        var after = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal(3, after.GetProperty("progress").GetProperty("sent").GetInt64());
        Assert.Equal(1, after.GetProperty("progress").GetProperty("failed").GetInt64());
        Assert.Equal(1, after.GetProperty("bounces").GetProperty("hard").GetInt64());
        Assert.Empty(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/recipients")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/bounces")).RootElement.GetProperty("items").EnumerateArray());
        // The suppression the bounce caused stays: it is what keeps the address out of the next campaign.
        await using var c = await host.Db.OpenAsync();
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM suppressions WHERE org_id = @OrgId AND reason = 'hard_bounce'", new { s.OrgId }));
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM tracking_events WHERE org_id = @OrgId", new { s.OrgId }));
        var report = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/report")).RootElement;
        Assert.Equal(1, report.GetProperty("opens").GetProperty("human").GetInt64());
    }

    [Fact]
    public async Task Closed_requests_lose_the_address_a_month_after_closing_and_are_deleted_after_the_period()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _, _) = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        var closed = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "rectification", email = "asker@example.fi", details = "My name is Asker",
        })), HttpStatusCode.Created);
        var closedId = closed.GetProperty("id").GetInt64();
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{closedId}/refuse", LupaTestHost.Json(new { reason = "Not our customer." })), HttpStatusCode.OK);
        var open = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "access", email = "open@example.fi" })), HttpStatusCode.Created);

        var now = DateTimeOffset.UtcNow;
        Assert.Equal(0, (await RunAsync(host, "acme", now.AddDays(29))).Counts[RetentionSteps.RequestAddresses]);
        Assert.Equal(1, (await RunAsync(host, "acme", now.AddDays(31))).Counts[RetentionSteps.RequestAddresses]);
        var kept = await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{closedId}"), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("email").ValueKind);
        Assert.Equal("", kept.GetProperty("details").GetString());
        Assert.Equal("Not our customer.", kept.GetProperty("outcome").GetString());
        await using (var c = await host.Db.OpenAsync())
            Assert.NotNull(await c.ExecuteScalarAsync<string>("SELECT subject_hash FROM privacy_requests WHERE id = @closedId", new { closedId }));

        Assert.Equal(0, (await RunAsync(host, "acme", now.AddYears(3).AddDays(-1))).Counts[RetentionSteps.ClosedRequests]);
        Assert.Equal(1, (await RunAsync(host, "acme", now.AddYears(3).AddDays(1))).Counts[RetentionSteps.ClosedRequests]);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/privacy/requests/{closedId}")).StatusCode);
        Assert.Equal("open@example.fi", (await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{open.GetProperty("id").GetInt64()}"), HttpStatusCode.OK)).GetProperty("email").GetString());
    }

    [Fact]
    public async Task The_scheduled_run_happens_once_a_day_for_each_organisation()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Retention:Enabled"] = "false" });
        await OrganisationAsync(host, "acme");
        await OrganisationAsync(host, "beta");
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(2, await At(host, now).RunScheduledAsync(now, CancellationToken.None));
        Assert.Equal(0, await At(host, now).RunScheduledAsync(now.AddMinutes(5), CancellationToken.None));
        Assert.Equal(2, await At(host, now.AddDays(1)).RunScheduledAsync(now.AddDays(1), CancellationToken.None));
        var acme = (await host.Store.FindOrganisationAsync("acme"))!;
        var runs = await new RetentionStore(host.Db, acme.Id).ListRunsAsync(10);
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal(RetentionActors.Schedule, r.Actor));
        Assert.Equal(2, runs.Select(r => r.ScheduledDay).Distinct().Count());
    }

    [Fact]
    public async Task The_worker_runs_at_the_configured_hour_by_its_clock_and_again_the_next_day()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Retention:Hour"] = "3" });
        var (org, _, _) = await OrganisationAsync(host);
        var helsinki = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, helsinki).DateTime);
        var two = today.ToDateTime(new TimeOnly(2, 0));
        var clock = new FakeClock(new DateTimeOffset(two, helsinki.GetUtcOffset(two)));
        var sp = host.App.Services;
        var service = new RetentionService(host.Db, host.Store, sp.GetRequiredService<ErasureScrubber>(), sp.GetRequiredService<AuditTrail>(),
            sp.GetRequiredService<DataRecipientService>(), sp.GetRequiredService<IOptions<LupaOptions>>(), clock, NullLogger<RetentionService>.Instance);
        using var worker = new RetentionWorker(service, sp.GetRequiredService<IOptions<LupaOptions>>(), clock, NullLogger<RetentionWorker>.Instance);
        var store = new RetentionStore(host.Db, org.OrgId);
        async Task WaitForTimerAsync()
        {
            for (var i = 0; i < 200 && clock.Pending == 0; i++)
                await Task.Delay(25);
            Assert.Equal(1, clock.Pending);
        }
        async Task<int> RunsAsync(int atLeast)
        {
            for (var i = 0; i < 200; i++)
            {
                var n = (await store.ListRunsAsync(10)).Count(r => r.Status != "running");
                if (n >= atLeast)
                    return n;
                await Task.Delay(25);
            }
            return (await store.ListRunsAsync(10)).Count;
        }

        await worker.StartAsync(CancellationToken.None);
        await WaitForTimerAsync();
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await RunsAsync(0));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await RunsAsync(1));
        await WaitForTimerAsync();
        clock.Advance(TimeSpan.FromHours(24));
        Assert.Equal(2, await RunsAsync(2));
        await worker.StopAsync(CancellationToken.None);
        Assert.All(await store.ListRunsAsync(10), r => Assert.Equal(RetentionActors.Schedule, r.Actor));
    }

    [Fact]
    public async Task The_api_and_the_terminal_run_it_now_and_bad_input_gets_problem_json()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _, _) = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        await AddAsync(api, "pending@example.fi", ["news"], evidence: false);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/retention/run?dryRun=maybe", null), HttpStatusCode.UnprocessableEntity, "dryRun");
        await ProblemAsync(await api.GetAsync("/api/v1/privacy/retention/runs?limit=0"), HttpStatusCode.UnprocessableEntity, "limit");
        var dry = await JsonAsync(await api.PostAsync("/api/v1/privacy/retention/run?dryRun=true", null), HttpStatusCode.OK);
        Assert.Equal("dry_run", dry.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, dry.GetProperty("id").ValueKind);
        Assert.Equal(0, dry.GetProperty("counts").GetProperty("pendingPeople").GetInt64());
        var ran = await JsonAsync(await api.PostAsync("/api/v1/privacy/retention/run", null), HttpStatusCode.OK);
        Assert.Equal("done", ran.GetProperty("status").GetString());
        Assert.StartsWith("api-key:", ran.GetProperty("actor").GetString());

        var (exit, output, error) = await CliTests.RunAsync(host.ConnectionString, "retention", "run", "--org", "acme", "--dry-run");
        Assert.True(exit == 0, output + error);
        Assert.Contains("unconfirmed subscriptions", output);
        Assert.Contains("dry run", output);
        var (missing, _, err) = await CliTests.RunAsync(host.ConnectionString, "retention", "run", "--org", "nope");
        Assert.Equal(2, missing);
        Assert.Contains("no organisation", err);
        var (all, allOut, allErr) = await CliTests.RunAsync(host.ConnectionString, "retention", "run");
        Assert.True(all == 0, allOut + allErr);
        var runs = await JsonAsync(await api.GetAsync("/api/v1/privacy/retention/runs"), HttpStatusCode.OK);
        Assert.Equal(2, runs.GetArrayLength());
        Assert.StartsWith("cli:", runs[0].GetProperty("actor").GetString());

        // The records of processing from the terminal too: the organisation's as JSON, the operator's as Markdown.
        var (recordsExit, records, recordsErr) = await CliTests.RunAsync(host.ConnectionString, "records", "--org", "acme", "--format", "json");
        Assert.True(recordsExit == 0, recordsErr);
        Assert.Equal("controller", JsonDocument.Parse(records).RootElement.GetProperty("kind").GetString());
        var (processorExit, processor, processorErr) = await CliTests.RunAsync(host.ConnectionString, "records");
        Assert.True(processorExit == 0, processorErr);
        Assert.StartsWith("# Record of processing activities carried out as processor", processor);
    }
}
