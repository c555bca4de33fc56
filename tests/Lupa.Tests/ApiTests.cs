using System.Net;
using System.Text;
using System.Text.Json;

namespace Lupa.Tests;

public sealed class ApiTests
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r)
    {
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Lists_are_created_validated_and_their_wording_versioned()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);

        var created = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", description = "Monthly", language = "en", purpose = "Monthly news", legalBasis = "consent", consentWording = "Yes, send me news." });
        Assert.Equal("double", created.GetProperty("optInMode").GetString());
        Assert.Equal(1, created.GetProperty("consentWordingVersion").GetInt32());
        Assert.EndsWith("/s/acme/news", created.GetProperty("formUrl").GetString());
        var id = created.GetProperty("id").GetInt64();

        var duplicate = await api.PostAsync("/api/v1/lists", LupaTestHost.Json(new { name = "Other", slug = "news" }));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Contains("slug", (await ProblemAsync(duplicate)).GetProperty("detail").GetString());

        var badSlug = await api.PostAsync("/api/v1/lists", LupaTestHost.Json(new { name = "X", slug = "Bad Slug" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badSlug.StatusCode);
        Assert.True((await ProblemAsync(badSlug)).GetProperty("errors").TryGetProperty("slug", out _));

        var badLanguage = await api.PostAsync("/api/v1/lists", LupaTestHost.Json(new { name = "X", slug = "x", language = "sv" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLanguage.StatusCode);
        var badBasis = await api.PostAsync("/api/v1/lists", LupaTestHost.Json(new { name = "X", slug = "x", legalBasis = "bought" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badBasis.StatusCode);

        // A new wording is a new version; the old one stays.
        var changed = await api.PutAsync($"/api/v1/lists/{id}", LupaTestHost.Json(new { consentWording = "Yes, send me news and offers." }));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await changed.Content.ReadAsStringAsync()).RootElement.GetProperty("consentWordingVersion").GetInt32());
        var sameAgain = await api.PutAsync($"/api/v1/lists/{id}", LupaTestHost.Json(new { name = "News!" }));
        Assert.Equal(2, JsonDocument.Parse(await sameAgain.Content.ReadAsStringAsync()).RootElement.GetProperty("consentWordingVersion").GetInt32());
        var versions = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/lists/{id}/consent-wordings")).RootElement;
        Assert.Equal(2, versions.GetArrayLength());
        Assert.Equal("Yes, send me news.", versions[1].GetProperty("text").GetString());
        Assert.Equal(Lupa.Domain.ConsentWording.Hash("Yes, send me news."), versions[1].GetProperty("hash").GetString());

        var all = JsonDocument.Parse(await api.GetStringAsync("/api/v1/lists")).RootElement;
        Assert.Equal(1, all.GetArrayLength());
    }

    [Fact]
    public async Task Bad_input_gets_problem_json_and_changes_nothing()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);

        var malformed = await api.PostAsync("/api/v1/subscribers", new StringContent("{\"email\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("Malformed JSON", (await ProblemAsync(malformed)).GetProperty("detail").GetString());

        var unknown = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "a@example.com", lists = new[] { "news" }, favouriteColour = "red" }));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("favouriteColour", (await ProblemAsync(unknown)).GetProperty("detail").GetString());

        var huge = await api.PostAsync("/api/v1/subscribers", new StringContent("{\"name\":\"" + new string('a', 400_000) + "\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        await ProblemAsync(huge);

        var notJson = await api.PostAsync("/api/v1/subscribers", new StringContent("email=a@example.com", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);

        var crlf = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "a@example.com\r\nBcc: b@example.com", lists = new[] { "news" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, crlf.StatusCode);
        Assert.True((await ProblemAsync(crlf)).GetProperty("errors").TryGetProperty("email", out _));

        var longAddress = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = new string('a', 290) + "@example.com", lists = new[] { "news" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, longAddress.StatusCode);

        var nameCrlf = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "a@example.com", name = "A\nB", lists = new[] { "news" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nameCrlf.StatusCode);

        var noList = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "a@example.com", lists = new[] { "nope" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noList.StatusCode);

        var future = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = "a@example.com",
            lists = new[] { "news" },
            consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(3), method = "form", source = "https://acme.test/join" },
        }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, future.StatusCode);
        Assert.True((await ProblemAsync(future)).GetProperty("errors").TryGetProperty("consent.timestamp", out _));

        var badCursor = await api.GetAsync("/api/v1/subscribers?cursor=%3Cx%3E");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badCursor.StatusCode);

        var page = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers")).RootElement;
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());

        using var anonymous = host.Client();
        var noKey = await anonymous.GetAsync("/api/v1/lists");
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        await ProblemAsync(noKey);
        using var wrongKey = host.Api("lupa_00000000_notakeyatall");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongKey.GetAsync("/api/v1/lists")).StatusCode);
    }

    [Fact]
    public async Task Subscribers_added_with_evidence_are_confirmed_and_without_it_pending_with_a_mail()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", consentWording = "News please." });
        using var api = host.Api(org.ApiKey);
        var given = DateTimeOffset.UtcNow.AddDays(-30);

        var withEvidence = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = "proven@Example.com",
            name = "Proven",
            lists = new[] { "news" },
            consent = new { timestamp = given, method = "paper", source = "Signup sheet, Helsinki fair 2026", ip = "192.0.2.7" },
        }));
        Assert.Equal(HttpStatusCode.Created, withEvidence.StatusCode);
        var proven = JsonDocument.Parse(await withEvidence.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("proven@example.com", proven.GetProperty("email").GetString());
        Assert.Equal("confirmed", proven.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var record = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{proven.GetProperty("id").GetInt64()}/consents")).RootElement.EnumerateArray());
        Assert.Equal("paper", record.GetProperty("method").GetString());
        Assert.Equal("192.0.2.7", record.GetProperty("ip").GetString());
        Assert.Equal("Signup sheet, Helsinki fair 2026", record.GetProperty("source").GetString());
        Assert.Equal(given.ToUnixTimeMilliseconds(), record.GetProperty("occurredAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal("News please.", record.GetProperty("wordingText").GetString());
        Assert.StartsWith("api-key:", record.GetProperty("actor").GetString());
        Assert.Empty(await host.WaitForMailAsync("proven@example.com", timeoutMs: 300));

        var without = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "maybe@example.com", lists = new[] { "news" } }));
        Assert.Equal(HttpStatusCode.Created, without.StatusCode);
        var maybe = JsonDocument.Parse(await without.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("pending", maybe.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var mail = Assert.Single(await host.WaitForMailAsync("maybe@example.com"));
        Assert.Contains("/c/", MailText.Link(mail, "/c/"));

        // Rectification and withdrawal through the API.
        var id = maybe.GetProperty("id").GetInt64();
        var renamed = await api.PatchAsync($"/api/v1/subscribers/{id}", LupaTestHost.Json(new { name = "Maybe Not", language = "fi" }));
        Assert.Equal("Maybe Not", JsonDocument.Parse(await renamed.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
        var provenId = proven.GetProperty("id").GetInt64();
        var listId = proven.GetProperty("subscriptions")[0].GetProperty("listId").GetInt64();
        var removed = await api.DeleteAsync($"/api/v1/subscribers/{provenId}/lists/{listId}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        var history = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{provenId}/consents")).RootElement;
        Assert.Equal("withdrawal", history[1].GetProperty("kind").GetString());
        Assert.Equal("api", history[1].GetProperty("method").GetString());

        // Paging with a cursor.
        for (var i = 0; i < 5; i++)
            await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = $"p{i}@example.com", lists = new[] { "news" }, consent = new { timestamp = given, method = "form", source = "https://acme.test" } }));
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?limit=3" + (cursor is null ? "" : "&cursor=" + cursor))).RootElement;
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(x => x.GetProperty("email").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(7, seen.Distinct().Count());
    }

    [Fact]
    public async Task Privacy_notice_is_versioned_and_public()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);
        var current = JsonDocument.Parse(await api.GetStringAsync("/api/v1/privacy-notice")).RootElement;
        Assert.Equal(1, current.GetProperty("version").GetInt32());
        Assert.Contains("Data Protection Ombudsman", current.GetProperty("content").GetProperty("authorityName").GetString());

        var published = await api.PutAsync("/api/v1/privacy-notice", LupaTestHost.Json(new
        {
            controllerName = "Acme Oy",
            controllerContact = "Esimerkkikatu 1, 00100 Helsinki, privacy@acme.test",
            dpoContact = "dpo@acme.test",
            recipients = "Lupa (processor)",
            transfers = "None",
            retention = "Until you unsubscribe",
            rights = "Access, rectification, erasure",
            authorityName = "Tietosuojavaltuutetun toimisto",
            authorityContact = "tietosuoja@om.fi",
            automatedDecisions = "None",
        }));
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await published.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt32());
        var missing = await api.PutAsync("/api/v1/privacy-notice", LupaTestHost.Json(new { controllerName = "" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);

        using var web = host.Client();
        var page = await web.GetStringAsync("/notice/acme");
        Assert.Contains("dpo@acme.test", page);
        Assert.Contains("tietosuoja@om.fi", page);
        var old = await web.GetStringAsync("/notice/acme?version=1");
        Assert.DoesNotContain("dpo@acme.test", old);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync("/notice/nobody")).StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_and_health_are_served()
    {
        await using var host = await LupaTestHost.StartAsync();
        using var web = host.Client();
        var doc = JsonDocument.Parse(await web.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/lists", out _));
        Assert.True(paths.TryGetProperty("/api/v1/subscribers/{id}/consents", out _));
        Assert.Equal("Healthy", await web.GetStringAsync("/healthz"));
    }
}
