using System.Net;
using System.Text.Json;
using Dapper;
using Lupa.Organisations;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Lupa.Tests;

/// <summary>The audit trail: views and changes of personal data are recorded with their actor; the chain shows tampering.</summary>
public sealed class AuditTrailTests
{
    private const string Maija = "maija.virtanen@example.fi";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal static async Task<(CreatedOrganisation Org, long SubscriberId)> OrganisationWithSubscriberAsync(LupaTestHost host)
    {
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en" });
        using var api = host.Api(org.ApiKey);
        var added = await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = Maija, name = "Maija", lists = new[] { "news" },
            consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messut" },
        })), HttpStatusCode.Created);
        return (org, added.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Views_and_changes_of_personal_data_by_an_api_key_and_a_person_are_audited_with_the_actor_and_no_address()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, id) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        long keyId;
        await using (var c = await host.Db.OpenAsync())
            keyId = await c.ExecuteScalarAsync<long>("SELECT id FROM api_keys WHERE org_id = @OrgId", new { org.OrgId });

        await JsonAsync(await api.GetAsync($"/api/v1/subscribers/{id}"), HttpStatusCode.OK);
        await JsonAsync(await api.GetAsync($"/api/v1/subscribers/{id}/consents"), HttpStatusCode.OK);
        await JsonAsync(await api.GetAsync("/api/v1/subscribers?email=" + Uri.EscapeDataString(Maija)), HttpStatusCode.OK);
        await JsonAsync(await api.GetAsync("/api/v1/subscribers?limit=10"), HttpStatusCode.OK);
        await JsonAsync(await api.PatchAsync($"/api/v1/subscribers/{id}", LupaTestHost.Json(new { name = "Maija V." })), HttpStatusCode.OK);
        var request = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "access", email = Maija })), HttpStatusCode.Created);
        await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK);
        await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{request.GetProperty("id").GetInt64()}"), HttpStatusCode.OK);
        // Asking for someone who does not exist shows nothing and records nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/v1/subscribers/999999")).StatusCode);

        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        await owner.GetPageAsync("/admin/o/acme/subscribers");
        await owner.GetPageAsync($"/admin/o/acme/subscribers/{id}");
        await owner.GetPageAsync("/admin/o/acme/privacy-requests");
        await owner.GetPageAsync($"/admin/o/acme/privacy-requests/{request.GetProperty("id").GetInt64()}");

        var entries = await new AuditStore(host.Db).ListAsync(org.OrgId, 200);
        var key = $"api-key:{keyId}:";
        void Has(string action, string actorPrefix, string subject) =>
            Assert.True(entries.Any(e => e.Action == action && e.Actor.StartsWith(actorPrefix, StringComparison.Ordinal) && e.Subject == subject),
                $"no {action} by {actorPrefix} on {subject}: " + string.Join("; ", entries.Select(e => $"{e.Action} {e.Actor} {e.Subject}")));
        Has("subscriber.add", key, $"subscriber:{id}");
        Has("subscriber.view", key, $"subscriber:{id}");
        Has("subscriber.consents", key, $"subscriber:{id}");
        Has("subscriber.list", key, "subscribers");
        Has("subscriber.rectify", key, $"subscriber:{id}");
        Has("privacy_request.list", key, "privacy_requests");
        Has("privacy_request.view", key, $"privacy_request:{request.GetProperty("id").GetInt64()}");
        Has("subscriber.list", org.OwnerEmail, "subscribers");
        Has("subscriber.view", org.OwnerEmail, $"subscriber:{id}");
        Has("privacy_request.list", org.OwnerEmail, "privacy_requests");
        Has("privacy_request.view", org.OwnerEmail, $"privacy_request:{request.GetProperty("id").GetInt64()}");
        Assert.Equal(2, entries.Count(e => e.Action == "subscriber.view" && e.Actor.StartsWith(key, StringComparison.Ordinal)));
        Assert.DoesNotContain(entries, e => e.Subject == "subscriber:999999");
        Assert.Contains("\"fields\":[\"name\"]", entries.First(e => e.Action == "subscriber.rectify").Details);
        Assert.DoesNotContain(entries, e => (e.Details + e.Subject).Contains("maija", StringComparison.OrdinalIgnoreCase));
        Assert.Null(await new AuditStore(host.Db).VerifyAsync());

        // The organisation reads its trail through the API and the admin page; another organisation's key sees none of it.
        var page = await JsonAsync(await api.GetAsync("/api/v1/privacy/audit?limit=5"), HttpStatusCode.OK);
        Assert.Equal(5, page.GetProperty("items").GetArrayLength());
        var older = await JsonAsync(await api.GetAsync("/api/v1/privacy/audit?limit=5&cursor=" + page.GetProperty("nextCursor").GetString()), HttpStatusCode.OK);
        Assert.True(older.GetProperty("items")[0].GetProperty("id").GetInt64() < page.GetProperty("items")[4].GetProperty("id").GetInt64());
        Assert.Contains("subscriber.view", await owner.GetPageAsync("/admin/o/acme/privacy/audit"));
        using var other = host.Api((await host.CreateOrganisationAsync("other")).ApiKey);
        Assert.Equal(0, (await JsonAsync(await other.GetAsync("/api/v1/privacy/audit"), HttpStatusCode.OK)).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.GetAsync("/api/v1/privacy/audit?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.GetAsync("/api/v1/privacy/audit?cursor=nonsense")).StatusCode);
    }

    [Fact]
    public async Task Previews_for_a_subscriber_import_reports_and_exports_are_audited()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Campaigns:WorkerEnabled"] = "false" });
        var s = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 3);
        using var api = host.Api(s.ApiKey);
        var campaign = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        var person = (await JsonAsync(await api.GetAsync("/api/v1/subscribers?email=p1@example.com"), HttpStatusCode.OK)).GetProperty("items")[0].GetProperty("id").GetInt64();
        await JsonAsync(await api.PostAsync($"/api/v1/campaigns/{campaign}/preview", LupaTestHost.Json(new { subscriberId = person })), HttpStatusCode.OK);
        await JsonAsync(await api.PostAsync($"/api/v1/campaigns/{campaign}/preview", null), HttpStatusCode.OK);
        var job = await ImportTests.UploadAsync(api, "email,name,consent_at,consent_method,consent_source\nuusi@example.fi,Uusi,2025-03-01T10:00:00Z,paper,Messut\n");
        var importId = job.GetProperty("id").GetInt64();
        await ImportTests.WaitAsync(api, importId, "done", "failed");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/imports/{importId}/report")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/lists/{s.ListId}/export")).StatusCode);

        using var owner = new Session(host);
        await owner.LoginAsync(s.OwnerEmail, s.OwnerPassword);
        Assert.Contains("p1@example.com", await owner.GetPageAsync($"/admin/o/acme/campaigns/{campaign}?email=p1@example.com"));
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/admin/o/acme/imports/{importId}?handler=report")).StatusCode);
        await owner.GetPageAsync("/admin/o/acme/bounces");

        var entries = await new AuditStore(host.Db).ListAsync(s.OrgId, 200);
        Assert.Contains(entries, e => e.Action == "campaign.preview" && e.Subject == $"subscriber:{person}" && e.Actor.StartsWith("api-key:", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Action == "campaign.preview" && e.Subject == $"subscriber:{person}" && e.Actor == s.OwnerEmail);
        Assert.Single(entries, e => e.Action == "campaign.preview" && e.Actor.StartsWith("api-key:", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Action == "import.create" && e.Subject == $"import:{importId}");
        Assert.Contains(entries, e => e.Action == "import.report" && e.Actor.StartsWith("api-key:", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Action == "import.report" && e.Actor == s.OwnerEmail);
        Assert.Contains(entries, e => e.Action == "export" && e.Subject == $"list:{s.ListId}");
        // A page that showed nobody records nothing.
        Assert.DoesNotContain(entries, e => e.Action == "bounce.list");
    }

    [Fact]
    public async Task Appends_from_many_requests_at_once_are_batched_into_one_strict_chain()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, id) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        var before = (await new AuditStore(host.Db).CheckAsync(null)).Entries;
        var reads = Enumerable.Range(0, 100).Select(_ => api.GetAsync($"/api/v1/subscribers/{id}")).ToList();
        var audit = host.App.Services.GetRequiredService<AuditTrail>();
        var direct = Enumerable.Range(0, 200).Select(i => audit.RecordAsync(org.OrgId, "test", "test.append", $"n:{i}")).ToList();
        await Task.WhenAll(direct);
        Assert.All(await Task.WhenAll(reads), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var check = await new AuditStore(host.Db).CheckAsync(null);
        Assert.True(check.Intact, check.Problem);
        Assert.Equal(before + 300, check.Entries);
        Assert.Equal(check.Entries, check.HeadEntries);
    }

    // What someone with write access to the database (but not Lupa's key) might do: the triggers stand in the way first.
    private static async Task AsAttackerAsync(LupaTestHost host, string sql, object? args = null)
    {
        await using var c = await host.Db.OpenAsync();
        var drop = host.Db.IsPostgres
            ? "ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_head DISABLE TRIGGER USER;"
            : "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_head_forward; DROP TRIGGER IF EXISTS audit_head_no_delete;";
        await c.ExecuteAsync(drop);
        await c.ExecuteAsync(sql, args);
    }

    private static async Task<List<long>> AppendAsync(LupaTestHost host, long orgId, int n)
    {
        var audit = host.App.Services.GetRequiredService<AuditTrail>();
        for (var i = 0; i < n; i++)
            await audit.RecordAsync(orgId, "tester", "test.append", $"n:{i}", new { i });
        await using var c = await host.Db.OpenAsync();
        return (await c.QueryAsync<long>("SELECT id FROM audit_log ORDER BY id")).AsList();
    }

    [Fact]
    public async Task Entries_cannot_be_changed_or_removed_and_verify_names_an_altered_entry()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var ids = await AppendAsync(host, org.OrgId, 5);
        await using (var c = await host.Db.OpenAsync())
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("UPDATE audit_log SET details = '{}' WHERE id = @id", new { id = ids[1] }));
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("DELETE FROM audit_log WHERE id = @id", new { id = ids[^1] }));
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("UPDATE audit_head SET entries = entries - 1"));
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("DELETE FROM audit_head"));
        }
        Assert.Null(await new AuditStore(host.Db).VerifyAsync());

        await AsAttackerAsync(host, "UPDATE audit_log SET details = '{\"i\":99}' WHERE id = @id", new { id = ids[2] });
        var check = await new AuditStore(host.Db).CheckAsync(null);
        Assert.Equal(ids[2], check.BrokenAt);
        Assert.Contains("altered", check.Problem);
    }

    [Fact]
    public async Task Verify_notices_an_entry_removed_in_the_middle_and_entries_removed_at_the_end()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var ids = await AppendAsync(host, org.OrgId, 6);

        // The last two removed: every remaining link still fits, but the head counted six.
        await AsAttackerAsync(host, "DELETE FROM audit_log WHERE id >= @id", new { id = ids[4] });
        var tail = await new AuditStore(host.Db).CheckAsync(null);
        Assert.False(tail.Intact);
        Assert.Equal(ids[3] + 1, tail.BrokenAt);
        Assert.Contains("the last 2 entries were removed", tail.Problem);
        Assert.Equal(4, tail.Entries);
        Assert.Equal(6, tail.HeadEntries);

        // One in the middle: the entry after it no longer follows.
        await AsAttackerAsync(host, "DELETE FROM audit_log WHERE id = @id", new { id = ids[1] });
        var middle = await new AuditStore(host.Db).CheckAsync(null);
        Assert.Equal(ids[2], middle.BrokenAt);
        Assert.Contains("does not follow", middle.Problem);
    }

    [Fact]
    public async Task With_an_audit_key_a_removed_tail_is_noticed_even_when_the_head_is_rewritten_to_match()
    {
        var settings = new Dictionary<string, string?> { ["Lupa:Secrets:AuditKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray()) };
        await using var host = await LupaTestHost.StartAsync(settings);
        var org = await host.CreateOrganisationAsync("acme");
        var ids = await AppendAsync(host, org.OrgId, 4);
        var intact = await new AuditStore(host.Db).CheckAsync(null);
        Assert.True(intact.Intact, intact.Problem);
        Assert.True(intact.Keyed);

        // Remove the last entry and fix the head to match the entry before it: without the key the MAC cannot follow.
        string lastHash;
        await using (var c = await host.Db.OpenAsync())
            lastHash = await c.ExecuteScalarAsync<string>("SELECT hash FROM audit_log WHERE id = @id", new { id = ids[2] }) ?? "";
        await AsAttackerAsync(host, "DELETE FROM audit_log WHERE id = @last; UPDATE audit_head SET entries = entries - 1, last_id = @id, last_hash = @lastHash",
            new { last = ids[3], id = ids[2], lastHash });
        var check = await new AuditStore(host.Db).CheckAsync(null);
        Assert.False(check.Intact);
        Assert.Contains("MAC", check.Problem);
    }

    [Fact]
    public async Task Lupa_audit_verify_exits_1_and_names_the_removed_tail()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var ids = await AppendAsync(host, org.OrgId, 3);
        var (exit, output, _) = await CliTests.RunAsync(host.ConnectionString, "audit", "verify");
        Assert.True(exit == 0, output);
        Assert.Contains("intact", output);

        await AsAttackerAsync(host, "DELETE FROM audit_log WHERE id = @id", new { id = ids[^1] });
        var (broken, _, error) = await CliTests.RunAsync(host.ConnectionString, "audit", "verify");
        Assert.Equal(1, broken);
        Assert.Contains($"broken at entry {ids[^2] + 1}", error);
        Assert.Contains("removed", error);
    }
}
