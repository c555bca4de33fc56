using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;

namespace Lupa.Tests;

/// <summary>
/// Articles 33 and 34: the breach register with its 72-hour clock to the authority and the text for the authority's
/// form, and the notice to the people affected, a transactional send that reaches unsubscribed people but never an erased one.
/// </summary>
public sealed class BreachTests
{
    private const string FiMessage = "Asiakasrekisterimme varmuuskopio päätyi julkiseen verkkoon 1.3. Siinä oli nimesi ja sähköpostiosoitteesi. Ole varuillasi tietojenkalasteluviestien suhteen.";
    private const string EnMessage = "A backup of our customer register was exposed on the public internet on 1 March. It held your name and email address. Be wary of phishing messages.";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task ProblemAsync(HttpResponseMessage r, HttpStatusCode expected, string? field = null, string? says = null)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        if (field is not null)
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        if (says is not null)
            Assert.Contains(says, text);
    }

    private static object Breach(string discoveredAt, string title = "Customer register backup exposed") => new
    {
        title,
        discoveredAt,
        occurredAt = "2026-03-01T06:00:00Z",
        nature = "A backup file of the customer register was readable on a public web server.",
        subjectCategories = "customers, newsletter subscribers",
        subjectsApprox = 1200,
        recordCategories = "names, email addresses",
        recordsApprox = 1250,
        consequences = "Phishing aimed at the people concerned.",
        measures = "The file was removed and the server's configuration fixed; the people concerned are told.",
    };

    private static async Task<long> RegisterAsync(HttpClient api, object breach) =>
        (await JsonAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(breach)), HttpStatusCode.Created)).GetProperty("id").GetInt64();

    private static async Task<JsonElement> ClockAsync(HttpClient api, long id) =>
        (await JsonAsync(await api.GetAsync($"/api/v1/privacy/breaches/{id}"), HttpStatusCode.OK)).GetProperty("authority");

    [Fact]
    public async Task The_72_hour_clock_runs_from_discovery_turns_due_soon_then_overdue_and_a_late_notification_needs_its_reasons()
    {
        var clock = new FakeClock(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
        await using var host = await LupaTestHost.StartAsync(clock: clock);
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);
        using (var notice = new StringContent("""{"controllerName":"Acme Oy","controllerContact":"Esimerkkikatu 1, Helsinki","dpoContact":"tietosuoja@acme.test"}""", Encoding.UTF8, "application/json"))
            Assert.Equal(HttpStatusCode.OK, (await api.PutAsync("/api/v1/privacy-notice", notice)).StatusCode);

        var id = await RegisterAsync(api, Breach("2026-03-02T08:00:00Z"));
        var a = await ClockAsync(api, id);
        Assert.Equal("pending", a.GetProperty("status").GetString());
        Assert.Equal(new DateTimeOffset(2026, 3, 5, 8, 0, 0, TimeSpan.Zero), a.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal("running", a.GetProperty("clock").GetString());
        Assert.Equal(70, a.GetProperty("hoursLeft").GetDouble());
        // The DPO contact comes from the privacy notice when not given.
        Assert.Equal("tietosuoja@acme.test", (await JsonAsync(await api.GetAsync($"/api/v1/privacy/breaches/{id}"), HttpStatusCode.OK)).GetProperty("dpoContact").GetString());

        clock.Advance(TimeSpan.FromHours(59));
        a = await ClockAsync(api, id);
        Assert.Equal("due_soon", a.GetProperty("clock").GetString());
        Assert.Equal(11, a.GetProperty("hoursLeft").GetDouble());
        clock.Advance(TimeSpan.FromHours(12));
        a = await ClockAsync(api, id);
        Assert.Equal("overdue", a.GetProperty("clock").GetString());
        Assert.Equal(-1, a.GetProperty("hoursLeft").GetDouble());

        // Registered now, discovered an hour ago: on the register after the overdue one.
        var onTime = await RegisterAsync(api, Breach("2026-03-05T08:00:00Z", "Laptop stolen"));
        var register = await JsonAsync(await api.GetAsync("/api/v1/privacy/breaches"), HttpStatusCode.OK);
        Assert.Equal([id, onTime], register.EnumerateArray().Select(b => b.GetProperty("id").GetInt64()));

        // Notified now, past the 72 hours: the reasons for the delay are required (Article 33(1)).
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/breaches/{id}/authority", LupaTestHost.Json(new { status = "notified", reference = "TSV/123/2026" })),
            HttpStatusCode.UnprocessableEntity, "reason", "72 hours");
        a = (await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{id}/authority", LupaTestHost.Json(new
        {
            status = "notified", reference = "TSV/123/2026", reason = "The extent was known only after the hosting provider's logs arrived.",
        })), HttpStatusCode.OK)).GetProperty("authority");
        Assert.Equal("notified_late", a.GetProperty("clock").GetString());
        Assert.Equal(clock.GetUtcNow(), a.GetProperty("notifiedAt").GetDateTimeOffset());
        Assert.Equal("TSV/123/2026", a.GetProperty("reference").GetString());

        // Within 72 hours: on time, no reason needed.
        clock.Advance(TimeSpan.FromHours(2));
        a = (await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{onTime}/authority", LupaTestHost.Json(new { status = "notified" })), HttpStatusCode.OK)).GetProperty("authority");
        Assert.Equal("notified", a.GetProperty("clock").GetString());
        // Not required needs the reason; back to pending clears it.
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/breaches/{onTime}/authority", LupaTestHost.Json(new { status = "not_required" })), HttpStatusCode.UnprocessableEntity, "reason");
        a = (await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{onTime}/authority", LupaTestHost.Json(new
        {
            status = "not_required", reason = "The laptop's disk was encrypted; no risk to people.",
        })), HttpStatusCode.OK)).GetProperty("authority");
        Assert.Equal("not_required", a.GetProperty("clock").GetString());
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/breaches/{onTime}/authority", LupaTestHost.Json(new { status = "notified", notifiedAt = "2026-03-01T00:00:00Z" })),
            HttpStatusCode.UnprocessableEntity, "notifiedAt");
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/breaches/{onTime}/authority", LupaTestHost.Json(new { status = "sent" })), HttpStatusCode.UnprocessableEntity, "status");

        // The text for the authority's form, in both languages, times in the privacy time zone.
        var en = await (await api.GetAsync($"/api/v1/privacy/breaches/{id}/authority-text?language=en")).Content.ReadAsStringAsync();
        Assert.StartsWith("Notification of a personal data breach (GDPR Article 33)", en);
        Assert.Contains("Controller: Acme Oy, Esimerkkikatu 1, Helsinki", en);
        Assert.Contains("Became aware of the breach: 2026-03-02 10:00 (Europe/Helsinki)", en);
        Assert.Contains("Breach began: 2026-03-01 08:00 (Europe/Helsinki)", en);
        Assert.Contains("Approximate number of data subjects: 1,200", en);
        Assert.Contains("Categories of personal data records: names, email addresses", en);
        Assert.Contains("Communication to data subjects: not yet communicated", en);
        Assert.Contains("Reasons for the delay: The extent was known only", en);
        var fi = await (await api.GetAsync($"/api/v1/privacy/breaches/{id}/authority-text?language=fi")).Content.ReadAsStringAsync();
        Assert.StartsWith("Ilmoitus henkilötietojen tietoturvaloukkauksesta (tietosuoja-asetuksen 33 artikla)", fi);
        Assert.Contains("Loukkaus havaittiin: 2026-03-02 10:00 (Europe/Helsinki)", fi);
        Assert.Contains("Rekisteröityjen arvioitu lukumäärä: 1\u00a0200", fi);
        Assert.Contains("Syyt ilmoituksen viivästymiseen:", fi);
        var onTimeText = await (await api.GetAsync($"/api/v1/privacy/breaches/{onTime}/authority-text")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("Reasons for the delay", onTimeText);

        // A change of the facts is kept; every step is in the audit trail.
        var changed = await JsonAsync(await api.PatchAsync($"/api/v1/privacy/breaches/{id}", LupaTestHost.Json(new { subjectsApprox = 1400 })), HttpStatusCode.OK);
        Assert.Equal(1400, changed.GetProperty("subjectsApprox").GetInt64());
        Assert.Equal("Customer register backup exposed", changed.GetProperty("title").GetString());
        var audit = await new Lupa.Storage.AuditStore(host.Db).ListAsync(org.OrgId, 50);
        Assert.Equal(2, audit.Count(e => e.Action == "breach.register"));
        Assert.Equal(3, audit.Count(e => e.Action == "breach.authority"));
        Assert.Contains(audit, e => e.Action == "breach.update" && e.Details.Contains("subjectsApprox", StringComparison.Ordinal));
    }

    /// <summary>acme with the list "news" (fi): Aino (fi), Bob (en, unsubscribed), Cecilia (to be erased); Dan only on "events".</summary>
    private static async Task<(HttpClient Api, long NewsId, long OrgId)> PeopleAsync(LupaTestHost host)
    {
        var org = await host.CreateOrganisationAsync("acme");
        var news = await host.CreateListAsync(org.ApiKey, new { name = "Uutiset", slug = "news", language = "fi", purpose = "Uutiset" });
        await host.CreateListAsync(org.ApiKey, new { name = "Tapahtumat", slug = "events", language = "fi", purpose = "Tapahtumat" });
        var api = host.Api(org.ApiKey);
        async Task<long> AddAsync(string email, string name, string list)
        {
            var added = await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
            {
                email, name, lists = new[] { list }, consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messulomake" },
            })), HttpStatusCode.Created);
            return added.GetProperty("id").GetInt64();
        }
        await AddAsync("aino@example.fi", "Aino", "news");
        var bob = await AddAsync("bob@example.com", "Bob", "news");
        await AddAsync("cecilia@example.fi", "Cecilia", "news");
        await AddAsync("dan@example.fi", "Dan", "events");
        var newsId = news.GetProperty("id").GetInt64();
        await JsonAsync(await api.PatchAsync($"/api/v1/subscribers/{bob}", LupaTestHost.Json(new { language = "en" })), HttpStatusCode.OK);
        await JsonAsync(await api.DeleteAsync($"/api/v1/subscribers/{bob}/lists/{newsId}"), HttpStatusCode.OK);
        var erasure = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "erasure", email = "cecilia@example.fi" })), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{erasure.GetProperty("id").GetInt64()}/fulfil", null), HttpStatusCode.OK);
        return (api, newsId, org.OrgId);
    }

    private static async Task<JsonElement> WaitDoneAsync(HttpClient api, string location)
    {
        JsonElement job = default;
        for (var i = 0; i < 300; i++)
        {
            job = await JsonAsync(await api.GetAsync(location), HttpStatusCode.OK);
            if (job.GetProperty("status").GetString() == "done")
                break;
            await Task.Delay(50);
        }
        Assert.Equal("done", job.GetProperty("status").GetString());
        return job;
    }

    [Fact]
    public async Task A_notice_reaches_unsubscribed_people_in_their_language_but_never_an_erased_one_and_its_delivery_is_tracked()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (api, newsId, orgId) = await PeopleAsync(host);
        using var apiClient = api;
        var breach = await RegisterAsync(api, Breach(DateTimeOffset.UtcNow.AddHours(-3).ToString("O")));

        var sent = await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new
        {
            audience = "lists", listIds = new[] { newsId }, messageFi = FiMessage, messageEn = EnMessage,
        }));
        var job = await JsonAsync(sent, HttpStatusCode.Accepted);
        Assert.Equal(2, job.GetProperty("total").GetInt64());
        var location = sent.Headers.Location!.ToString();
        Assert.Equal($"/api/v1/privacy/breaches/{breach}/notices/{job.GetProperty("id").GetInt64()}", location);

        // Aino in Finnish, Bob (unsubscribed) in English: a legal notice, with no unsubscribe.
        var aino = MailText.Parse(Assert.Single(await host.WaitForMailAsync("aino@example.fi")));
        Assert.Equal("Tärkeä tiedote henkilötietojesi tietoturvaloukkauksesta – acme Oy", aino.Subject);
        Assert.StartsWith("Tämä on lakisääteinen tiedote, ei markkinointia.", aino.TextBody);
        Assert.Contains(FiMessage, aino.TextBody);
        Assert.Contains("Voit tehdä valituksen valvontaviranomaiselle", aino.TextBody);
        Assert.Null(aino.Headers["List-Unsubscribe"]);
        var bob = MailText.Parse(Assert.Single(await host.WaitForMailAsync("bob@example.com")));
        Assert.Equal("Important notice about a breach of your personal data – acme Oy", bob.Subject);
        Assert.StartsWith("This is a notice required by law, not marketing.", bob.TextBody);
        Assert.Contains("even if you have unsubscribed", bob.TextBody);
        Assert.Contains(EnMessage, bob.TextBody);
        Assert.Contains("<html lang=\"en\">", bob.HtmlBody);
        Assert.Null(bob.Headers["List-Unsubscribe"]);
        // Cecilia was erased: Lupa does not hold her, so nothing goes to her. Dan is on another list.
        Assert.Empty(await host.WaitForMailAsync("cecilia@example.fi", 1, 300));
        Assert.Empty(await host.WaitForMailAsync("dan@example.fi", 1, 300));

        // The job's progress and each person's delivery.
        var done = await WaitDoneAsync(api, location);
        Assert.Equal(2, done.GetProperty("sent").GetInt64());
        Assert.Equal(0, done.GetProperty("failed").GetInt64());
        Assert.Equal(0, done.GetProperty("waiting").GetInt64());
        Assert.Equal(100, done.GetProperty("percent").GetDouble());
        var people = await JsonAsync(await api.GetAsync(location + "/recipients"), HttpStatusCode.OK);
        var items = people.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["aino@example.fi", "bob@example.com"], items.Select(p => p.GetProperty("email").GetString()));
        Assert.All(items, p => Assert.Equal("sent", p.GetProperty("state").GetString()));
        Assert.All(items, p => Assert.NotEqual(JsonValueKind.Null, p.GetProperty("sentAt").ValueKind));
        Assert.Equal(["fi", "en"], items.Select(p => p.GetProperty("language").GetString()));
        Assert.Empty((await JsonAsync(await api.GetAsync(location + "/recipients?state=waiting"), HttpStatusCode.OK)).GetProperty("items").EnumerateArray());

        // Logged as transactional mail under a legal obligation; the authority text tells of the notice.
        await using (var c = await host.Db.OpenAsync())
        {
            var rows = (await c.QueryAsync<(string Purpose, string LegalBasis)>("SELECT purpose, legal_basis FROM outbox WHERE org_id = @orgId AND purpose = 'breach_notice'", new { orgId })).ToList();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal("legal_obligation", r.LegalBasis));
        }
        Assert.Contains("Communication to data subjects: notice sent to 2 people on ", await (await api.GetAsync($"/api/v1/privacy/breaches/{breach}/authority-text")).Content.ReadAsStringAsync());
        var listed = await JsonAsync(await api.GetAsync($"/api/v1/privacy/breaches/{breach}/notices"), HttpStatusCode.OK);
        Assert.Equal("lists", Assert.Single(listed.EnumerateArray()).GetProperty("audience").GetString());

        // Erasing Bob afterwards removes him from the notice's people too (the count made then stays).
        var erasure = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "erasure", email = "bob@example.com" })), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{erasure.GetProperty("id").GetInt64()}/fulfil", null), HttpStatusCode.OK);
        var after = await JsonAsync(await api.GetAsync(location), HttpStatusCode.OK);
        Assert.Equal(2, after.GetProperty("total").GetInt64());
        Assert.Equal(1, after.GetProperty("recipients").GetInt64());
        await using (var c = await host.Db.OpenAsync())
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM breach_notice_recipients WHERE lower(email) = 'bob@example.com'"));
    }

    [Fact]
    public async Task An_uploaded_list_and_a_segment_choose_the_people_and_an_erased_address_is_left_out()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (api, newsId, _) = await PeopleAsync(host);
        using var apiClient = api;
        var breach = await RegisterAsync(api, Breach(DateTimeOffset.UtcNow.AddHours(-1).ToString("O")));

        // Uploaded addresses: Aino (held: her own language), a stranger in English, Eeva with no language (the default),
        // a repeat, and the erased Cecilia, who is left out.
        var sent = await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new
        {
            audience = "addresses",
            addresses = new[] { "aino@example.fi,en", "stranger@example.org,en", "eeva@example.fi", "cecilia@example.fi", "aino@EXAMPLE.fi" },
            language = "fi", messageFi = FiMessage, messageEn = EnMessage,
        }));
        var job = await JsonAsync(sent, HttpStatusCode.Accepted);
        Assert.Equal(3, job.GetProperty("total").GetInt64());
        Assert.Equal(1, job.GetProperty("skippedErased").GetInt64());
        var done = await WaitDoneAsync(api, sent.Headers.Location!.ToString());
        Assert.Equal(3, done.GetProperty("sent").GetInt64());
        Assert.StartsWith("Tärkeä tiedote", MailText.Parse(Assert.Single(await host.WaitForMailAsync("aino@example.fi"))).Subject);
        Assert.StartsWith("Important notice", MailText.Parse(Assert.Single(await host.WaitForMailAsync("stranger@example.org"))).Subject);
        Assert.StartsWith("Tärkeä tiedote", MailText.Parse(Assert.Single(await host.WaitForMailAsync("eeva@example.fi"))).Subject);
        Assert.Empty(await host.WaitForMailAsync("cecilia@example.fi", 1, 300));
        var people = (await JsonAsync(await api.GetAsync(sent.Headers.Location + "/recipients"), HttpStatusCode.OK)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("Aino", people.Single(p => p.GetProperty("email").GetString() == "aino@example.fi").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, people.Single(p => p.GetProperty("email").GetString() == "stranger@example.org").GetProperty("subscriberId").ValueKind);

        // A file upload with a header line, as multipart/form-data.
        using var form = new MultipartFormDataContent
        {
            { new StringContent("fi"), "language" },
            { new StringContent(FiMessage), "messageFi" },
            { new StringContent(EnMessage), "messageEn" },
        };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes("email;language\r\nfile.one@example.fi;fi\r\nfile.two@example.com;en\r\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "addresses", "affected.csv");
        var uploaded = await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", form), HttpStatusCode.Accepted);
        Assert.Equal("addresses", uploaded.GetProperty("audience").GetString());
        Assert.Equal(2, uploaded.GetProperty("total").GetInt64());
        Assert.StartsWith("Important notice", MailText.Parse(Assert.Single(await host.WaitForMailAsync("file.two@example.com"))).Subject);

        // A segment, reusing the campaigns' segments: everyone held whose address ends in .com (Bob, unsubscribed).
        var segment = await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new
        {
            audience = "segment", segment = """{"match":"all","conditions":[{"field":"email","op":"ends_with","value":".com"}]}""",
            messageFi = FiMessage, messageEn = EnMessage,
        })), HttpStatusCode.Accepted);
        Assert.Equal(1, segment.GetProperty("total").GetInt64());
        Assert.Single(await host.WaitForMailAsync("bob@example.com"));
        // Everyone: Aino, Bob and Dan (Cecilia is not held).
        var all = await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new
        {
            audience = "all", messageFi = FiMessage, messageEn = EnMessage,
        })), HttpStatusCode.Accepted);
        Assert.Equal(3, all.GetProperty("total").GetInt64());
        Assert.Single(await host.WaitForMailAsync("dan@example.fi"));
        Assert.Equal(4, (await JsonAsync(await api.GetAsync($"/api/v1/privacy/breaches/{breach}/notices"), HttpStatusCode.OK)).GetArrayLength());
        _ = newsId;
    }

    [Fact]
    public async Task Bad_breach_and_notice_input_answers_problem_json_naming_the_field()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (api, newsId, _) = await PeopleAsync(host);
        using var apiClient = api;
        var other = await host.CreateOrganisationAsync("other");
        using var otherApi = host.Api(other.ApiKey);
        var otherList = (await host.CreateListAsync(other.ApiKey, new { name = "Muut", slug = "muut" })).GetProperty("id").GetInt64();
        async Task BreachAsync(object body, string field) =>
            await ProblemAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(body)), HttpStatusCode.UnprocessableEntity, field);

        await BreachAsync(new { nature = "x" }, "title");
        await BreachAsync(new { title = "T" }, "nature");
        await BreachAsync(new { title = "T", nature = "x", discoveredAt = "yesterday" }, "discoveredAt");
        await BreachAsync(new { title = "T", nature = "x", discoveredAt = DateTimeOffset.UtcNow.AddDays(1).ToString("O") }, "discoveredAt");
        await BreachAsync(new { title = "T", nature = "x", discoveredAt = "2026-01-02T10:00:00Z", occurredAt = "2026-01-03T10:00:00Z" }, "occurredAt");
        await BreachAsync(new { title = "T", nature = "x", subjectsApprox = -1 }, "subjectsApprox");
        await BreachAsync(new { title = "T\nU", nature = "x" }, "title");
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(new { title = "T", nature = "x", severity = "high" })), HttpStatusCode.BadRequest);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/breaches", new StringContent("title=T", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);

        var breach = await RegisterAsync(api, Breach(DateTimeOffset.UtcNow.AddHours(-1).ToString("O")));
        await ProblemAsync(await otherApi.GetAsync($"/api/v1/privacy/breaches/{breach}"), HttpStatusCode.NotFound);
        await ProblemAsync(await otherApi.PatchAsync($"/api/v1/privacy/breaches/{breach}", LupaTestHost.Json(new { title = "Mine" })), HttpStatusCode.NotFound);
        await ProblemAsync(await api.PatchAsync($"/api/v1/privacy/breaches/{breach}", LupaTestHost.Json(new { occurredAt = DateTimeOffset.UtcNow.ToString("O") })), HttpStatusCode.UnprocessableEntity, "occurredAt");
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/breaches/{breach}/authority-text?language=sv"), HttpStatusCode.UnprocessableEntity, "language");
        await ProblemAsync(await api.GetAsync("/api/v1/privacy/breaches?limit=0"), HttpStatusCode.UnprocessableEntity, "limit");

        async Task NoticeAsync(object body, HttpStatusCode status, string? field, string? says = null) =>
            await ProblemAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(body)), status, field, says);
        await NoticeAsync(new { audience = "everyone", messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "audience");
        await NoticeAsync(new { audience = "all", messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "messageFi");
        await NoticeAsync(new { audience = "all", messageFi = FiMessage }, HttpStatusCode.UnprocessableEntity, "messageEn");
        await NoticeAsync(new { audience = "all", language = "sv", messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "language");
        await NoticeAsync(new { audience = "lists", messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "listIds");
        await NoticeAsync(new { audience = "lists", listIds = new[] { otherList }, messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "listIds");
        await NoticeAsync(new { audience = "segment", segment = "{\"match\":\"all\",\"conditions\":[{\"field\":\"shoe\",\"op\":\"eq\",\"value\":\"x\"}]}", messageFi = FiMessage, messageEn = EnMessage },
            HttpStatusCode.UnprocessableEntity, "segment");
        await NoticeAsync(new { audience = "segment", segment = "not json", messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "segment");
        await NoticeAsync(new { audience = "addresses", addresses = new[] { "ok@example.fi", "no-at-sign", "x@y.fi,sv" }, messageFi = FiMessage, messageEn = EnMessage },
            HttpStatusCode.UnprocessableEntity, "addresses", "line 2");
        await NoticeAsync(new { audience = "addresses", addresses = Array.Empty<string>(), messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "addresses");
        // Nobody matches: nothing is made.
        await NoticeAsync(new { audience = "segment", listIds = new[] { newsId }, segment = "{\"match\":\"all\",\"conditions\":[{\"field\":\"name\",\"op\":\"eq\",\"value\":\"Nobody\"}]}", messageFi = FiMessage, messageEn = EnMessage },
            HttpStatusCode.UnprocessableEntity, "audience");
        // Only the erased person: she is left out, so nobody is left.
        await NoticeAsync(new { audience = "addresses", addresses = new[] { "cecilia@example.fi" }, messageFi = FiMessage, messageEn = EnMessage }, HttpStatusCode.UnprocessableEntity, "audience");
        await NoticeAsync(new { audience = "all", messageFi = FiMessage, messageEn = EnMessage, subject = "Hi" }, HttpStatusCode.BadRequest, null);
        await ProblemAsync(await otherApi.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new { audience = "all", messageFi = FiMessage, messageEn = EnMessage })),
            HttpStatusCode.NotFound);
        Assert.Empty((await JsonAsync(await api.GetAsync($"/api/v1/privacy/breaches/{breach}/notices"), HttpStatusCode.OK)).EnumerateArray());

        var job = await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach}/notices", LupaTestHost.Json(new { audience = "all", messageFi = FiMessage, messageEn = EnMessage })),
            HttpStatusCode.Accepted);
        var location = $"/api/v1/privacy/breaches/{breach}/notices/{job.GetProperty("id").GetInt64()}";
        await ProblemAsync(await api.GetAsync(location + "/recipients?state=lost"), HttpStatusCode.UnprocessableEntity, "state");
        await ProblemAsync(await api.GetAsync(location + "/recipients?limit=5000"), HttpStatusCode.UnprocessableEntity, "limit");
        await ProblemAsync(await api.GetAsync(location + "/recipients?cursor=***"), HttpStatusCode.UnprocessableEntity, "cursor");
        await ProblemAsync(await otherApi.GetAsync(location), HttpStatusCode.NotFound);
        await ProblemAsync(await otherApi.GetAsync(location + "/recipients"), HttpStatusCode.NotFound);
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/breaches/{breach}/notices/999999"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_admin_pages_are_for_the_privacy_officer_who_uploads_a_file_of_addresses_and_a_bad_form_answers_422()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (api, _, orgId) = await PeopleAsync(host);
        using var apiClient = api;
        var store = new Lupa.Storage.OrganisationStore(host.Db, orgId);
        Assert.True(await store.AddPersonAsync(new Lupa.Storage.PersonToCreate("dpo@acme.test", "Dpo", "privacy_officer", Lupa.Security.Passwords.Hash("dpo-password-1")), 0));
        Assert.True(await store.AddPersonAsync(new Lupa.Storage.PersonToCreate("ads@acme.test", "Ads", "marketer", Lupa.Security.Passwords.Hash("ads-password-1")), 0));
        using (var marketer = new Session(host))
        {
            await marketer.LoginAsync("ads@acme.test", "ads-password-1");
            Assert.Equal(HttpStatusCode.Forbidden, (await marketer.GetAsync("/admin/o/acme/breaches")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await marketer.GetAsync("/admin/o/acme/privacy-recipients")).StatusCode);
        }
        using var officer = new Session(host);
        await officer.LoginAsync("dpo@acme.test", "dpo-password-1");
        var refused = await officer.PostFormAsync("/admin/o/acme/breaches", "/admin/o/acme/breaches", ("Title", ""), ("Nature", "x"), ("DiscoveredAt", "2026-01-01T10:00"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("Title is required", await refused.Content.ReadAsStringAsync());
        var registered = await officer.PostFormAsync("/admin/o/acme/breaches", "/admin/o/acme/breaches",
            ("Title", "Stolen laptop"), ("Nature", "A laptop with the customer list was stolen."), ("DiscoveredAt", "2026-01-01T10:00"), ("SubjectsApprox", ""));
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        var breachPath = registered.Headers.Location!.OriginalString.Split('?')[0];
        var page = await officer.GetPageAsync(breachPath);
        Assert.Contains("Loukkaus havaittiin: 2026-01-01 10:00 (Europe/Helsinki)", page);

        // A file of addresses uploaded on the breach page.
        var sent = await officer.PostFileAsync(breachPath, breachPath + "?handler=notify", "affected.txt", Encoding.UTF8.GetBytes("aino@example.fi\nlaptop.owner@example.com,en\n"),
            ("Audience", "addresses"), ("Language", "fi"), ("MessageFi", FiMessage), ("MessageEn", EnMessage));
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        var noticePage = sent.Headers.Location!.OriginalString;
        Assert.Matches(@"/admin/o/acme/breaches/\d+/notices/\d+$", noticePage);
        Assert.StartsWith("Important notice", MailText.Parse(Assert.Single(await host.WaitForMailAsync("laptop.owner@example.com"))).Subject);
        Assert.Contains("laptop.owner@example.com", await officer.GetPageAsync(noticePage));
        var progress = JsonDocument.Parse(await officer.GetPageAsync(noticePage + "?handler=progress")).RootElement;
        Assert.Equal(2, progress.GetProperty("recipients").GetInt64());

        // A bad line refuses the whole upload, on the page.
        var bad = await officer.PostFileAsync(breachPath, breachPath + "?handler=notify", "affected.txt", Encoding.UTF8.GetBytes("aino@example.fi\nnot an address\n"),
            ("Audience", "addresses"), ("Language", "fi"), ("MessageFi", FiMessage), ("MessageEn", EnMessage));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("line 2", await bad.Content.ReadAsStringAsync());

        // The API is described in the OpenAPI document.
        using var web = host.Client();
        var doc = JsonDocument.Parse(await web.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("paths");
        Assert.True(doc.TryGetProperty("/api/v1/privacy/recipients/{id}/deliveries", out _));
        Assert.True(doc.TryGetProperty("/api/v1/privacy/breaches/{id}/notices/{noticeId}/recipients", out _));
    }
}
