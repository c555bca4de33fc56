using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Lupa.Tests;

/// <summary>The admin UI's imports over HTTP: who may see an import, who may review, and the attestation.</summary>
public sealed partial class AdminTests
{
    [GeneratedRegex("name=\"staged\" value=\"([a-f0-9]{32})\"")]
    private static partial Regex StagedPattern();

    private static async Task<long> ListIdAsync(LupaTestHost host, string key, string slug)
    {
        using var api = host.Api(key);
        var lists = JsonDocument.Parse(await api.GetStringAsync("/api/v1/lists")).RootElement;
        return lists.EnumerateArray().Single(l => l.GetProperty("slug").GetString() == slug).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task An_import_of_another_organisation_is_not_found_in_the_admin_UI()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        var b = await host.CreateOrganisationAsync("beta");
        await host.CreateListAsync(a.ApiKey, new { name = "Alpha news", slug = "news" });
        using var apiA = host.Api(a.ApiKey);
        var job = await ImportTests.UploadAsync(apiA, "email,name\nsecret-person@example.com,Secret Person\n");
        var id = job.GetProperty("id").GetInt64();
        await ImportTests.WaitAsync(apiA, id, "done", "failed", "held");

        using var alpha = new Session(host);
        await alpha.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var own = await alpha.GetAsync($"/admin/o/alpha/imports/{id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("import-summary", await own.Content.ReadAsStringAsync());
        var report = await alpha.GetAsync($"/admin/o/alpha/imports/{id}?handler=report");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("text/csv", report.Content.Headers.ContentType?.MediaType);
        Assert.Contains("secret-person@example.com", await report.Content.ReadAsStringAsync());

        using var beta = new Session(host);
        await beta.LoginAsync(b.OwnerEmail, b.OwnerPassword);
        Assert.Equal(HttpStatusCode.OK, (await beta.GetAsync("/admin/o/beta/imports")).StatusCode);
        foreach (var path in new[]
        {
            $"/admin/o/alpha/imports/{id}", $"/admin/o/alpha/imports/{id}?handler=report", "/admin/o/alpha/imports",
            // Through their own organisation's address, the import is not found either.
            $"/admin/o/beta/imports/{id}", $"/admin/o/beta/imports/{id}?handler=report",
        })
        {
            var r = await beta.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
            Assert.DoesNotContain("secret-person@example.com", await r.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Import_review_is_not_found_for_anyone_but_the_operator()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        using var owner = new Session(host);
        await owner.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var page = await owner.GetAsync("/admin/imports");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.DoesNotContain("held-imports", await page.Content.ReadAsStringAsync());
        var post = await owner.PostFormAsync("/admin/o/alpha/imports", "/admin/imports?handler=review", ("id", "1"), ("decision", "approve"), ("note", "mine"));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        // Nor does the owner see the operator's count of held imports.
        Assert.DoesNotContain("held-imports-count", await (await owner.GetAsync("/admin/o/alpha")).Content.ReadAsStringAsync());

        using var op = new Session(host);
        await op.LoginAsync("operator@lupa.localhost", "operator-password");
        var review = await op.GetAsync("/admin/imports");
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        Assert.Contains("No imports are waiting for review.", await review.Content.ReadAsStringAsync());
        Assert.Contains("id=\"held-imports-count\">0<", await (await op.GetAsync("/admin")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Starting_an_import_without_the_attestation_is_refused_and_queues_nothing()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        await host.CreateListAsync(a.ApiKey, new { name = "Alpha news", slug = "news" });
        var listId = (await ListIdAsync(host, a.ApiKey, "news")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var s = new Session(host);
        await s.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var staged = Path.Combine(Path.GetFullPath(host.App.Services.GetRequiredService<IOptions<LupaOptions>>().Value.DataPath), "imports", "staged");

        // Step 1 keeps the upload aside and shows the mapping; nothing is queued.
        var csv = Encoding.UTF8.GetBytes("Sähköposti,name\nperson@example.com,Person\n");
        var upload = await s.PostFileAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=upload", "people.csv", csv, ("lists", listId), ("updateMode", "update"));
        var html = await upload.Content.ReadAsStringAsync();
        Assert.True(upload.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains("id=\"mapping\"", html);
        Assert.Contains("name=\"map[Sähköposti]\"", html);
        var token = StagedPattern().Match(html).Groups[1].Value;
        Assert.Equal(32, token.Length);
        Assert.Single(Directory.GetFiles(staged, $"*-{token}.csv"));

        using var api = host.Api(a.ApiKey);
        async Task<int> CountImportsAsync() => JsonDocument.Parse(await api.GetStringAsync("/api/v1/imports")).RootElement.GetArrayLength();
        Assert.Equal(0, await CountImportsAsync());

        // Step 2 without the attestation: 422, nothing queued, the upload still waits.
        var unattested = await s.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=start",
            ("staged", token), ("fileName", "people.csv"), ("lists", listId), ("updateMode", "update"), ("map[Sähköposti]", "email"), ("map[name]", "name"));
        var refusedHtml = await unattested.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unattested.StatusCode);
        Assert.Contains("Tick the attestation", refusedHtml);
        Assert.Contains("id=\"mapping\"", refusedHtml);
        Assert.Equal(0, await CountImportsAsync());
        Assert.Single(Directory.GetFiles(staged, $"*-{token}.csv"));

        // A staged name that is not 32 hex digits is refused before it is used as a path.
        foreach (var bad in new[] { "../../../etc/passwd", token.ToUpperInvariant(), token + "\n", token[..31], "1-" + token })
        {
            var r = await s.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=start",
                ("staged", bad), ("fileName", "people.csv"), ("lists", listId), ("updateMode", "update"), ("map[Sähköposti]", "email"), ("attestation", "true"));
            Assert.True(r.StatusCode == HttpStatusCode.UnprocessableEntity, $"{bad}: {r.StatusCode}");
            Assert.Contains("Upload the file again", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(0, await CountImportsAsync());

        // Another organisation's person cannot start it with the token either.
        var b = await host.CreateOrganisationAsync("beta");
        await host.CreateListAsync(b.ApiKey, new { name = "Beta news", slug = "news" });
        var betaList = (await ListIdAsync(host, b.ApiKey, "news")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var beta = new Session(host);
        await beta.LoginAsync(b.OwnerEmail, b.OwnerPassword);
        var stolen = await beta.PostFormAsync("/admin/o/beta/imports", "/admin/o/beta/imports?handler=start",
            ("staged", token), ("fileName", "people.csv"), ("lists", betaList), ("updateMode", "update"), ("map[Sähköposti]", "email"), ("attestation", "true"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stolen.StatusCode);

        // With the attestation ticked it starts, as the signed-in person, and the staged file is gone.
        var started = await s.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=start",
            ("staged", token), ("fileName", "people.csv"), ("lists", listId), ("updateMode", "update"), ("map[Sähköposti]", "email"), ("map[name]", "name"), ("attestation", "true"));
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var id = long.Parse(Regex.Match(started.Headers.Location!.OriginalString, @"^/admin/o/alpha/imports/(\d+)$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Empty(Directory.GetFiles(staged, $"*-{token}.csv"));
        var job = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/imports/{id}")).RootElement;
        Assert.Equal(a.OwnerEmail, job.GetProperty("attestedBy").GetString());
        Assert.Equal("people.csv", job.GetProperty("fileName").GetString());
        Assert.Equal("done", (await ImportTests.WaitAsync(api, id, "done", "failed", "held")).GetProperty("status").GetString());

        // A file Lupa cannot read, or one without a header, is refused at step 1 with a reason.
        var binary = await s.PostFileAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=upload", "photo.csv", [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0x0D], ("lists", listId), ("updateMode", "update"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, binary.StatusCode);
        Assert.Contains("cannot read", await binary.Content.ReadAsStringAsync());
        var empty = await s.PostFileAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=upload", "empty.csv", Encoding.UTF8.GetBytes("\n\n"), ("lists", listId), ("updateMode", "update"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Contains("first line", await empty.Content.ReadAsStringAsync());
        Assert.Equal(1, await CountImportsAsync());
    }

    [Fact]
    public async Task Import_settings_are_changed_by_an_owner_and_refused_to_a_marketer()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        await host.CreateListAsync(a.ApiKey, new { name = "Alpha news", slug = "news" });
        var store = new Lupa.Storage.OrganisationStore(host.Db, a.OrgId);
        Assert.True(await store.AddPersonAsync(new Lupa.Storage.PersonToCreate("marketer@alpha.test", "Marketer", "marketer", Lupa.Security.Passwords.Hash("marketer-password")), 0));
        using var api = host.Api(a.ApiKey);
        async Task<JsonElement> SettingsAsync() => JsonDocument.Parse(await api.GetStringAsync("/api/v1/settings/imports")).RootElement;

        using var owner = new Session(host);
        await owner.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var bad = await owner.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=settings", ("noEvidencePolicy", "repermission"), ("ownDomains", "alpha.fi, not a domain"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("is not a domain name", await bad.Content.ReadAsStringAsync());
        Assert.Equal("refuse", (await SettingsAsync()).GetProperty("noEvidencePolicy").GetString());
        var saved = await owner.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=settings", ("noEvidencePolicy", "repermission"), ("ownDomains", "Alpha.fi, shop.alpha.fi"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var settings = await SettingsAsync();
        Assert.Equal("repermission", settings.GetProperty("noEvidencePolicy").GetString());
        Assert.Equal(["alpha.fi", "shop.alpha.fi"], settings.GetProperty("ownDomains").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("value=\"alpha.fi, shop.alpha.fi\"", await (await owner.GetAsync("/admin/o/alpha/imports")).Content.ReadAsStringAsync());

        using var marketer = new Session(host);
        await marketer.LoginAsync("marketer@alpha.test", "marketer-password");
        var page = await (await marketer.GetAsync("/admin/o/alpha/imports")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("id=\"import-settings\"", page);
        Assert.Contains("id=\"new-import\"", page);
        var refused = await marketer.PostFormAsync("/admin/o/alpha/imports", "/admin/o/alpha/imports?handler=settings", ("noEvidencePolicy", "refuse"), ("ownDomains", ""));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("repermission", (await SettingsAsync()).GetProperty("noEvidencePolicy").GetString());
    }

    [Fact]
    public async Task A_list_export_is_for_editors_and_the_privacy_officer_and_is_audited()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        var list = await host.CreateListAsync(a.ApiKey, new { name = "Alpha news", slug = "news" });
        var listId = list.GetProperty("id").GetInt64();
        using var api = host.Api(a.ApiKey);
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "kept@example.com", lists = new[] { "news" }, consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-3), method = "form", source = "https://alpha.test" } }));
        var store = new Lupa.Storage.OrganisationStore(host.Db, a.OrgId);
        foreach (var role in new[] { "viewer", "privacy_officer" })
            Assert.True(await store.AddPersonAsync(new Lupa.Storage.PersonToCreate($"{role}@alpha.test", role, role, Lupa.Security.Passwords.Hash(role + "-password")), 0));

        using var viewer = new Session(host);
        await viewer.LoginAsync("viewer@alpha.test", "viewer-password");
        Assert.DoesNotContain("list-export", await (await viewer.GetAsync($"/admin/o/alpha/lists/{listId}")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync($"/admin/o/alpha/lists/{listId}?handler=export")).StatusCode);

        using var officer = new Session(host);
        await officer.LoginAsync("privacy_officer@alpha.test", "privacy_officer-password");
        Assert.Contains("class=\"list-export", await (await officer.GetAsync($"/admin/o/alpha/lists/{listId}")).Content.ReadAsStringAsync());
        var export = await officer.GetAsync($"/admin/o/alpha/lists/{listId}?handler=export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        Assert.Equal("news.csv", export.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Lupa.Lists.ListExport.Header, lines[0]);
        Assert.StartsWith("kept@example.com,", Assert.Single(lines.Skip(1)));
        var audit = await new Lupa.Storage.AuditStore(host.Db).ListAsync(a.OrgId, 10);
        Assert.Contains(audit, e => e.Action == "export" && e.Actor == "privacy_officer@alpha.test" && e.Subject == $"list:{listId}");

        // Another organisation's list is not found.
        var b = await host.CreateOrganisationAsync("beta");
        using var beta = new Session(host);
        await beta.LoginAsync(b.OwnerEmail, b.OwnerPassword);
        Assert.Equal(HttpStatusCode.NotFound, (await beta.GetAsync($"/admin/o/beta/lists/{listId}?handler=export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await beta.GetAsync($"/admin/o/alpha/lists/{listId}?handler=export")).StatusCode);
    }
}
