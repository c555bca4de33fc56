using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lupa.Tests;

/// <summary>The rights that change data, end to end from the public page /privacy/{org} through the mailed verification link.</summary>
public sealed class PrivacyRightsTests
{
    private const string Maija = "maija.virtanen@example.fi";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Makes a request on the public page and opens the verification link; returns the verified page.</summary>
    private static async Task<string> RequestAndVerifyAsync(LupaTestHost host, string slug, string email, string choice, params (string, string)[] more)
    {
        using var visitor = new PrivacyRequestTests.Visitor(host);
        var before = (await host.Store.ListCaughtMessagesAsync(null, 1000)).Count(m => m.RcptTo == email);
        var posted = await visitor.PostFormAsync($"/privacy/{slug}?lang=en", [("email", email), ("choice", choice), .. more]);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var mails = await host.WaitForMailAsync(email, before + 1);
        var link = MailText.Link(mails.Last(m => m.Subject.StartsWith("Confirm your data protection request", StringComparison.Ordinal)), "/privacy/verify/");
        var opened = await visitor.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        return await opened.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> OnlyRequestAsync(HttpClient api, string type)
    {
        var all = await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?limit=500"), HttpStatusCode.OK);
        return all.EnumerateArray().Last(r => r.GetProperty("type").GetString() == type);
    }

    private static async Task<JsonElement?> FindSubscriberAsync(HttpClient api, string email)
    {
        var page = await JsonAsync(await api.GetAsync("/api/v1/subscribers?email=" + Uri.EscapeDataString(email)), HttpStatusCode.OK);
        return page.GetProperty("items").EnumerateArray().Select(x => (JsonElement?)x).FirstOrDefault();
    }

    private const string ImportHeader = "email,name,consent_at,consent_method,consent_source,city\n";

    private static string ImportRow(string email, string name, string city = "Turku") => $"{email},{name},2025-03-01T10:00:00Z,paper,Messut,{city}\n";

    private static async Task<Dictionary<long, (string Outcome, string Reason, string Email)>> ImportAsync(HttpClient api, string csv) =>
        (await ImportWithIdAsync(api, csv)).Report;

    private static async Task<(long Id, Dictionary<long, (string Outcome, string Reason, string Email)> Report)> ImportWithIdAsync(HttpClient api, string csv)
    {
        var job = await ImportTests.UploadAsync(api, ImportHeader + csv);
        var id = job.GetProperty("id").GetInt64();
        var done = await ImportTests.WaitAsync(api, id, "done", "failed", "rejected", "held");
        Assert.Equal("done", done.GetProperty("status").GetString());
        return (id, await ImportTests.ReportAsync(api, id));
    }

    // ---- the database files ------------------------------------------------------------------

    /// <summary>Every file the database keeps its data in: SQLite's file with -wal and -shm, or every relation file of the PostgreSQL database.</summary>
    private static async Task<List<string>> DatabaseFilesAsync(LupaTestHost host)
    {
        if (!host.Db.IsPostgres)
        {
            var path = Path.GetFullPath(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(host.ConnectionString).DataSource);
            return new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists).ToList();
        }
        await using var c = new NpgsqlConnection(host.ConnectionString);
        await c.OpenAsync();
        // Written pages reach the files at a checkpoint; until then they are in shared buffers (and the WAL).
        await c.ExecuteAsync(new CommandDefinition("CHECKPOINT", commandType: System.Data.CommandType.Text));
        var dataDir = await c.ExecuteScalarAsync<string>("SHOW data_directory");
        var rels = await c.QueryAsync<string>("SELECT pg_relation_filepath(oid) FROM pg_class WHERE relkind IN ('r', 'i', 't') AND pg_relation_filepath(oid) IS NOT NULL");
        var files = new List<string>();
        foreach (var rel in rels)
        {
            var main = Path.Combine(dataDir!, rel);
            files.AddRange(new[] { main }.Concat(Enumerable.Range(1, 9).Select(i => $"{main}.{i}")).Where(File.Exists));
        }
        return files;
    }

    private static byte[] ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var m = new MemoryStream();
        f.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>The files in which any of the texts can be read (UTF-8, as given and lower-cased).</summary>
    internal static async Task<List<string>> FilesContainingAsync(LupaTestHost host, params string[] texts)
    {
        var needles = texts.SelectMany(t => new[] { t, t.ToLowerInvariant() }).Distinct().Select(Encoding.UTF8.GetBytes).ToList();
        var found = new List<string>();
        foreach (var file in await DatabaseFilesAsync(host))
        {
            var bytes = ReadShared(file);
            foreach (var n in needles)
                if (bytes.AsSpan().IndexOf(n) >= 0)
                    found.Add($"{file}: {Encoding.UTF8.GetString(n)}");
        }
        return found;
    }

    // ---- erasure (Article 17) ------------------------------------------------------------------

    [Fact]
    public async Task Erasure_from_the_public_page_leaves_the_address_nowhere_in_the_database_files_and_a_reimport_is_skipped_but_a_new_subscription_is_allowed()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en" });
        using var api = host.Api(org.ApiKey);
        // Maija arrives by import (so an import report names her) next to someone who stays.
        var (importId, first) = await ImportWithIdAsync(api, ImportRow(Maija, "Maija Virtanen", "Kuopiovaara") + ImportRow("pekka@example.fi", "Pekka"));
        Assert.Equal("confirmed", first[2].Outcome);
        var subscriberId = (await FindSubscriberAsync(api, Maija))!.Value.GetProperty("id").GetInt64();
        // A campaign message that failed with the relay's words naming her.
        await using (var tx = await host.Db.BeginWriteAsync())
        {
            await tx.Connection.ExecuteAsync("INSERT INTO campaign_recipients (campaign_id, subscriber_id, state, last_error) VALUES (4242, @subscriberId, 2, @error)",
                new { subscriberId, error = $"550 5.1.1 <{Maija}>: mailbox full" }, tx.Transaction);
            await tx.CommitAsync();
        }
        Assert.NotEmpty(await FilesContainingAsync(host, Maija));

        var page = await RequestAndVerifyAsync(host, "acme", Maija, "erasure", ("details", "Please erase everything, Maija Virtanen"));
        Assert.Contains("Your data has been erased", page);

        var request = await OnlyRequestAsync(api, "erasure");
        Assert.Equal("completed", request.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, request.GetProperty("email").ValueKind);
        Assert.Equal("", request.GetProperty("details").GetString());
        Assert.Null(await FindSubscriberAsync(api, Maija));
        Assert.NotNull(await FindSubscriberAsync(api, "pekka@example.fi"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/subscribers/{subscriberId}/consents")).StatusCode);
        var report = await api.GetStringAsync($"/api/v1/imports/{importId}/report");
        Assert.DoesNotContain(Maija, report, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("pekka@example.fi", report);
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal("erased", await c.ExecuteScalarAsync<string>("SELECT reason FROM suppressions WHERE org_id = @OrgId AND list_id = 0", new { org.OrgId }));

        Assert.True(await host.App.Services.GetRequiredService<ErasureScrubber>().ScrubAsync());
        Assert.Empty(await FilesContainingAsync(host, Maija, "Maija Virtanen", "Kuopiovaara"));

        // An import cannot bring her back...
        var again = await ImportAsync(api, ImportRow(Maija, "Maija Virtanen"));
        Assert.Equal(("skipped_suppressed", "erased"), (again[2].Outcome, again[2].Reason));
        Assert.Null(await FindSubscriberAsync(api, Maija));

        // ...but she may subscribe again herself.
        using var form = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var posted = await form.PostAsync("/s/acme/news", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = Maija, ["name"] = "Maija", ["consent"] = "yes" }));
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        var confirmation = (await host.WaitForMailAsync(Maija)).Single(m => m.Subject.Contains("onfirm", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await form.GetAsync(MailText.Link(confirmation, "/c/"))).StatusCode);
        var back = (await FindSubscriberAsync(api, Maija))!.Value;
        Assert.Equal("confirmed", back.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM suppressions WHERE org_id = @OrgId AND reason = 'erased'", new { org.OrgId }));
    }

    // ---- restriction (Article 18) --------------------------------------------------------------

    [Fact]
    public async Task Restriction_from_the_public_page_leaves_the_person_out_of_a_campaign_and_imports_and_lifting_it_tells_them()
    {
        await using var relay = await TestRelay.StartAsync();
        var settings = TestRelay.Settings(relay.Port);
        settings["Lupa:Campaigns:RetryBaseSeconds"] = "0.05";
        await using var host = await LupaTestHost.StartAsync(settings);
        var s = await CampaignSupport.SetUpAsync(host);
        using var api = host.Api(s.ApiKey);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 3);

        var page = await RequestAndVerifyAsync(host, "acme", "p1@example.com", "restriction");
        Assert.Contains("restricted", page);
        Assert.Equal("completed", (await OnlyRequestAsync(api, "restriction")).GetProperty("status").GetString());
        var p1 = (await FindSubscriberAsync(api, "p1@example.com"))!.Value;
        Assert.NotEqual(JsonValueKind.Null, p1.GetProperty("restrictedAt").ValueKind);

        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal(2, done.GetProperty("progress").GetProperty("sent").GetInt64());
        Assert.DoesNotContain(relay.Messages, m => m.Recipients.Contains("p1@example.com"));

        // An import updates no one who is restricted.
        var imported = await ImportAsync(api, ImportRow("p1@example.com", "Someone Else", "Oulu"));
        Assert.Contains("restricted", imported[2].Reason);
        Assert.Equal("Person 1", (await FindSubscriberAsync(api, "p1@example.com"))!.Value.GetProperty("name").GetString());

        var lifted = await JsonAsync(await api.PostAsync($"/api/v1/subscribers/{p1.GetProperty("id").GetInt64()}/unrestrict", null), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, lifted.GetProperty("restrictedAt").ValueKind);
        Assert.Contains(await host.WaitForMailAsync("p1@example.com", 2), m => m.Subject == "The restriction of your data is lifted");
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync($"/api/v1/subscribers/{p1.GetProperty("id").GetInt64()}/unrestrict", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/subscribers/{p1.GetProperty("id").GetInt64()}/restrict", null)).StatusCode);
    }

    // ---- objection (Article 21) ----------------------------------------------------------------

    [Fact]
    public async Task Objection_to_direct_marketing_unsubscribes_from_every_list_and_suppresses_and_objection_to_profiling_is_marked()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en" });
        await host.CreateListAsync(org.ApiKey, new { name = "Offers", slug = "offers", language = "en" });
        using var api = host.Api(org.ApiKey);
        var consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Fair" };
        var added = await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = Maija, name = "Maija", lists = new[] { "news", "offers" }, consent })), HttpStatusCode.Created);
        var id = added.GetProperty("id").GetInt64();

        await RequestAndVerifyAsync(host, "acme", Maija, "objection_profiling");
        var profiled = (await FindSubscriberAsync(api, Maija))!.Value;
        Assert.NotEqual(JsonValueKind.Null, profiled.GetProperty("objectedProfilingAt").ValueKind);
        Assert.All(profiled.GetProperty("subscriptions").EnumerateArray(), x => Assert.Equal("confirmed", x.GetProperty("status").GetString()));

        var page = await RequestAndVerifyAsync(host, "acme", Maija, "objection_direct_marketing");
        Assert.Contains("no more direct marketing", page);
        var after = (await FindSubscriberAsync(api, Maija))!.Value;
        Assert.All(after.GetProperty("subscriptions").EnumerateArray(), x => Assert.Equal("unsubscribed", x.GetProperty("status").GetString()));
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("suppressedAt").ValueKind);
        var consents = await JsonAsync(await api.GetAsync($"/api/v1/subscribers/{id}/consents"), HttpStatusCode.OK);
        Assert.Equal(2, consents.EnumerateArray().Count(c => c.GetProperty("kind").GetString() == "withdrawal" && c.GetProperty("method").GetString() == "objection"));
        var objection = await OnlyRequestAsync(api, "objection");
        Assert.Equal("completed", objection.GetProperty("status").GetString());

        // Neither an import nor the API brings the person back to marketing.
        var imported = await ImportAsync(api, ImportRow(Maija, "Maija"));
        Assert.Equal(("skipped_suppressed", "objection"), (imported[2].Outcome, imported[2].Reason));
        var viaApi = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = Maija, lists = new[] { "news" }, consent }));
        Assert.NotEqual(HttpStatusCode.Created, viaApi.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, viaApi.StatusCode);
    }

    // ---- rectification (Article 16) ------------------------------------------------------------

    [Fact]
    public async Task Rectification_from_the_public_page_is_applied_by_the_officer_and_audited_without_the_values()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en" });
        using var api = host.Api(org.ApiKey);
        var consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Fair" };
        await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = Maija, name = "Maija Virtanan", lists = new[] { "news" }, consent })), HttpStatusCode.Created);

        await RequestAndVerifyAsync(host, "acme", Maija, "rectification", ("correction", "My name is Maija Virtanen, and I live in Tampere."));
        var request = await OnlyRequestAsync(api, "rectification");
        Assert.Equal("verified", request.GetProperty("status").GetString());
        var rid = request.GetProperty("id").GetInt64();

        var missing = await api.PostAsync($"/api/v1/privacy/requests/{rid}/fulfil", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        var badKey = await api.PostAsync($"/api/v1/privacy/requests/{rid}/fulfil", LupaTestHost.Json(new { attributes = new Dictionary<string, string> { ["bad key"] = "x" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badKey.StatusCode);

        var done = await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{rid}/fulfil",
            LupaTestHost.Json(new { name = "Maija Virtanen", language = "fi", attributes = new Dictionary<string, string> { ["city"] = "Tampere" } })), HttpStatusCode.OK);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Contains("name, language, attributes.city", done.GetProperty("outcome").GetString());
        var subscriber = (await FindSubscriberAsync(api, Maija))!.Value;
        Assert.Equal("Maija Virtanen", subscriber.GetProperty("name").GetString());
        Assert.Equal("fi", subscriber.GetProperty("language").GetString());
        await using (var c = await host.Db.OpenAsync())
            Assert.Contains("Tampere", await c.ExecuteScalarAsync<string>("SELECT attributes FROM subscribers WHERE email = @Maija", new { Maija }));

        var audit = await new AuditStore(host.Db).ListAsync(org.OrgId, 50);
        var entry = Assert.Single(audit, e => e.Action == "privacy_request.fulfil");
        Assert.Contains("attributes.city", entry.Details);
        Assert.DoesNotContain("Tampere", entry.Details);
        Assert.DoesNotContain(audit, e => e.Details.Contains(Maija, StringComparison.OrdinalIgnoreCase) || e.Subject.Contains(Maija, StringComparison.OrdinalIgnoreCase));
        Assert.Null(await new AuditStore(host.Db).VerifyAsync());
    }
}
