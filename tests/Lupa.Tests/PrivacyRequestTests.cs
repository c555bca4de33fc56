using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Lupa.Tests;

/// <summary>Data-subject requests end to end: the public page, the mailed verification link, the register, the officer's API, the daily summary.</summary>
public sealed partial class PrivacyRequestTests
{
    private static readonly TimeZoneInfo Helsinki = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");

    /// <summary>A visitor with cookies, posting the antiforgery token the page gave.</summary>
    internal sealed class Visitor(LupaTestHost host) : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(host.BaseUrl) };

        public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

        public async Task<HttpResponseMessage> PostFormAsync(string path, params (string, string)[] fields)
        {
            var page = await _http.GetStringAsync(path);
            var token = TokenPattern().Match(page).Groups[1].Value;
            return await _http.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__RequestVerificationToken", token))));
        }

        public void Dispose() => _http.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r, HttpStatusCode expected, string? field = null)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        if (field is not null)
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), text);
        return problem;
    }

    private static DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Helsinki).DateTime);

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly TodayInHelsinki() => LocalDate(DateTimeOffset.UtcNow);

    /// <summary>An organisation with a Finnish list and a confirmed subscriber maija@example.fi (language fi).</summary>
    private static async Task<(Organisations.CreatedOrganisation Org, long SubscriberId)> OrganisationWithSubscriberAsync(LupaTestHost host)
    {
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "Uutiset", slug = "news", language = "fi", purpose = "Kuukausittaiset uutiset" });
        using var api = host.Api(org.ApiKey);
        var added = await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = "maija@example.fi",
            name = "Maija",
            lists = new[] { "news" },
            consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messulomake" },
        })), HttpStatusCode.Created);
        return (org, added.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Request_on_the_public_page_is_verified_by_mail_and_registered_with_its_due_date()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, subscriberId) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        using var visitor = new Visitor(host);

        var page = await (await visitor.GetAsync("/privacy/acme?lang=fi")).Content.ReadAsStringAsync();
        Assert.Contains("Tietosuojaoikeutesi", page);
        Assert.Contains("value=\"erasure\"", page);
        Assert.Contains("value=\"objection_profiling\"", page);
        Assert.Contains("href=\"/notice/acme\"", page);

        var known = await visitor.PostFormAsync("/privacy/acme?lang=fi", ("email", "maija@example.fi"), ("choice", "rectification"), ("correction", "Poistakaa kaikki."));
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        var knownPage = await known.Content.ReadAsStringAsync();
        Assert.Contains("Tarkista sähköpostisi", knownPage);
        // An address Lupa has never seen gets the same answer: the page does not tell who is known.
        var unknown = await visitor.PostFormAsync("/privacy/acme?lang=fi", ("email", "nobody@example.fi"), ("choice", "restriction"));
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal(Regex.Match(knownPage, "<main>.*</main>", RegexOptions.Singleline).Value, Regex.Match(await unknown.Content.ReadAsStringAsync(), "<main>.*</main>", RegexOptions.Singleline).Value);

        // Unverified requests wait outside the register.
        Assert.Equal(0, (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK)).GetArrayLength());
        Assert.Equal(2, (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?status=received"), HttpStatusCode.OK)).GetArrayLength());

        var mail = Assert.Single(await host.WaitForMailAsync("maija@example.fi"));
        var message = MailText.Parse(mail);
        Assert.Equal("Vahvista tietosuojapyyntösi: acme Oy", message.Subject);
        Assert.Contains("Tietojeni oikaisu", message.TextBody);
        var link = MailText.Link(mail, "/privacy/verify/");

        // The same request again within the resend time sends no second mail.
        await visitor.PostFormAsync("/privacy/acme?lang=fi", ("email", "maija@example.fi"), ("choice", "rectification"), ("correction", "Poistakaa kaikki."));
        await Task.Delay(500);
        Assert.Single(await host.WaitForMailAsync("maija@example.fi", 1, 100));

        var opened = await visitor.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var verifiedPage = await opened.Content.ReadAsStringAsync();
        Assert.Contains("Pyyntösi on vahvistettu", verifiedPage);

        var register = await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK);
        var request = Assert.Single(register.EnumerateArray());
        // A rectification waits for the officer (erasure, restriction and objection are carried out at once: PrivacyRightsTests).
        Assert.Equal("rectification", request.GetProperty("type").GetString());
        Assert.Equal("verified", request.GetProperty("status").GetString());
        Assert.Equal("self_service", request.GetProperty("channel").GetString());
        Assert.Equal("maija@example.fi", request.GetProperty("email").GetString());
        Assert.Equal(subscriberId, request.GetProperty("subscriberId").GetInt64());
        Assert.Equal("fi", request.GetProperty("language").GetString());
        Assert.Equal("Poistakaa kaikki.", request.GetProperty("details").GetString());
        Assert.Equal("on_time", request.GetProperty("deadline").GetString());
        var received = LocalDate(request.GetProperty("receivedAt").GetDateTimeOffset());
        var due = DateOnly.FromDateTime(received.ToDateTime(TimeOnly.MinValue).AddMonths(1));
        Assert.Equal(Iso(due), request.GetProperty("dueDate").GetString());
        Assert.Equal(due.DayNumber - TodayInHelsinki().DayNumber, request.GetProperty("daysLeft").GetInt32());
        Assert.Equal(due, LocalDate(request.GetProperty("dueAt").GetDateTimeOffset()));
        Assert.Equal(due.AddDays(1), LocalDate(request.GetProperty("dueAt").GetDateTimeOffset().AddMilliseconds(1)));
        Assert.Contains(due.ToString("d.M.yyyy", CultureInfo.InvariantCulture), verifiedPage);

        // Opening the link again is harmless.
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync(link)).StatusCode);
        Assert.Single((await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK)).EnumerateArray());
        // A forged link is refused.
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync(link[..^3] + "AAA")).StatusCode);

        // The preference centre links to the page.
        var preferences = await host.Client().GetStringAsync(host.App.Services.GetRequiredService<Lupa.Hosting.PublicLinks>().Preferences(org.OrgId, subscriberId));
        Assert.Contains("href=\"/privacy/acme?lang=fi\"", preferences);
        Assert.Contains("Tietosuojaoikeutesi", preferences);
    }

    [Fact]
    public async Task Public_page_refuses_bad_input_and_keeps_to_its_rate_limit()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:PublicForm:RateLimitPerMinute"] = "5" });
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);
        using var visitor = new Visitor(host);

        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync("/privacy/nosuch")).StatusCode);
        Assert.Contains("Your data rights", await (await visitor.GetAsync("/privacy/acme")).Content.ReadAsStringAsync());

        var badAddress = await visitor.PostFormAsync("/privacy/acme", ("email", "not an address"), ("choice", "access"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badAddress.StatusCode);
        var noChoice = await visitor.PostFormAsync("/privacy/acme", ("email", "a@example.com"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noChoice.StatusCode);
        Assert.Contains("Choose what you ask for.", await noChoice.Content.ReadAsStringAsync());
        var rectificationWithoutWhat = await visitor.PostFormAsync("/privacy/acme", ("email", "a@example.com"), ("choice", "rectification"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rectificationWithoutWhat.StatusCode);
        var honeypot = await visitor.PostFormAsync("/privacy/acme", ("email", "bot@example.com"), ("choice", "access"), ("website", "http://spam"));
        Assert.Equal(HttpStatusCode.OK, honeypot.StatusCode);
        Assert.Equal(0, (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?status=received"), HttpStatusCode.OK)).GetArrayLength());

        var rectification = await visitor.PostFormAsync("/privacy/acme", ("email", "a@example.com"), ("choice", "rectification"), ("correction", "My name is Anna, not Anne."));
        Assert.Equal(HttpStatusCode.OK, rectification.StatusCode);
        var stored = Assert.Single((await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?status=received"), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal("My name is Anna, not Anne.", stored.GetProperty("details").GetString());
        Assert.Equal("en", stored.GetProperty("language").GetString());
        Assert.Equal("Confirm your data protection request to acme Oy", MailText.Parse(Assert.Single(await host.WaitForMailAsync("a@example.com"))).Subject);

        // Five posts a minute from one address: the sixth is refused.
        var limited = await visitor.PostFormAsync("/privacy/acme", ("email", "b@example.com"), ("choice", "access"));
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);
    }

    [Fact]
    public async Task Officer_registers_a_letter_by_API_verified_at_once_and_due_one_calendar_month_after_receipt()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, subscriberId) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);

        var letter = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "access",
            email = "maija@Example.FI",
            channel = "letter",
            receivedAt = "2024-01-31",
            details = "Letter dated 29 January 2024, identity checked against the customer register.",
        })), HttpStatusCode.Created);
        Assert.Equal("verified", letter.GetProperty("status").GetString());
        Assert.Equal("letter", letter.GetProperty("channel").GetString());
        Assert.Equal("2024-02-29", letter.GetProperty("dueDate").GetString());
        Assert.Equal("2024-02-29", letter.GetProperty("firstDueDate").GetString());
        Assert.Equal("overdue", letter.GetProperty("deadline").GetString());
        Assert.True(letter.GetProperty("daysLeft").GetInt32() < 0);
        Assert.Equal(new DateOnly(2024, 1, 31), LocalDate(letter.GetProperty("receivedAt").GetDateTimeOffset()));
        Assert.NotEqual(JsonValueKind.Null, letter.GetProperty("verifiedAt").ValueKind);
        Assert.StartsWith("api-key:", letter.GetProperty("createdBy").GetString());
        Assert.Equal(subscriberId, letter.GetProperty("subscriberId").GetInt64());
        Assert.Equal("fi", letter.GetProperty("language").GetString());

        var phone = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "objection", objectionScope = "profiling", email = "caller@example.com", channel = "phone",
        })), HttpStatusCode.Created);
        Assert.Equal("on_time", phone.GetProperty("deadline").GetString());
        Assert.Equal("en", phone.GetProperty("language").GetString());
        Assert.Equal(JsonValueKind.Null, phone.GetProperty("subscriberId").ValueKind);
        var phoneReceived = LocalDate(phone.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(Iso(DateOnly.FromDateTime(phoneReceived.ToDateTime(TimeOnly.MinValue).AddMonths(1))), phone.GetProperty("dueDate").GetString());

        // Received 25 days ago: due within the week.
        var soon = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "rectification", email = "soon@example.com", channel = "email", receivedAt = Iso(TodayInHelsinki().AddDays(-25)), details = "Wrong name.",
        })), HttpStatusCode.Created);
        Assert.Equal("due_soon", soon.GetProperty("deadline").GetString());

        static long[] Ids(JsonElement list) => list.EnumerateArray().Select(x => x.GetProperty("id").GetInt64()).ToArray();
        var all = await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK);
        Assert.Equal([letter.GetProperty("id").GetInt64(), soon.GetProperty("id").GetInt64(), phone.GetProperty("id").GetInt64()], Ids(all));
        Assert.Equal([letter.GetProperty("id").GetInt64()], Ids(await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?overdue=true"), HttpStatusCode.OK)));
        Assert.Equal([soon.GetProperty("id").GetInt64()], Ids(await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?dueSoon=true"), HttpStatusCode.OK)));
        Assert.Equal(2, (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?overdue=true&dueSoon=true"), HttpStatusCode.OK)).GetArrayLength());
        Assert.Empty(Ids(await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?status=completed"), HttpStatusCode.OK)));

        var one = await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{phone.GetProperty("id").GetInt64()}"), HttpStatusCode.OK);
        Assert.Equal("profiling", one.GetProperty("objectionScope").GetString());

        // Another organisation's key sees none of it.
        var other = await host.CreateOrganisationAsync("other");
        using var otherApi = host.Api(other.ApiKey);
        await ProblemAsync(await otherApi.GetAsync($"/api/v1/privacy/requests/{phone.GetProperty("id").GetInt64()}"), HttpStatusCode.NotFound);
        await ProblemAsync(await otherApi.PostAsync($"/api/v1/privacy/requests/{phone.GetProperty("id").GetInt64()}/complete", LupaTestHost.Json(new { outcome = "x" })), HttpStatusCode.NotFound);
        Assert.Equal(0, (await JsonAsync(await otherApi.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK)).GetArrayLength());
    }

    [Fact]
    public async Task Extension_tells_the_subject_in_their_language_and_closed_requests_take_no_more_actions()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        var receivedOn = TodayInHelsinki().AddDays(-3);
        var created = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "erasure", email = "maija@example.fi", channel = "letter", receivedAt = Iso(receivedOn),
        })), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();

        var extended = await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/extend", LupaTestHost.Json(new
        {
            months = 2, reason = "Pyyntöjä on tullut poikkeuksellisen paljon.",
        })), HttpStatusCode.OK);
        var newDue = DateOnly.FromDateTime(receivedOn.ToDateTime(TimeOnly.MinValue).AddMonths(3));
        Assert.Equal("extended", extended.GetProperty("status").GetString());
        Assert.Equal(2, extended.GetProperty("extensionMonths").GetInt32());
        Assert.Equal(Iso(newDue), extended.GetProperty("dueDate").GetString());
        Assert.Equal(Iso(DateOnly.FromDateTime(receivedOn.ToDateTime(TimeOnly.MinValue).AddMonths(1))), extended.GetProperty("firstDueDate").GetString());
        Assert.Equal("Pyyntöjä on tullut poikkeuksellisen paljon.", extended.GetProperty("extensionReason").GetString());

        var mail = MailText.Parse(Assert.Single(await host.WaitForMailAsync("maija@example.fi")));
        Assert.Equal("Tietosuojapyyntösi: vastaus viivästyy", mail.Subject);
        Assert.Equal("fi", mail.Body!.Headers["Content-Language"]);
        Assert.Contains("Perustelu: Pyyntöjä on tullut poikkeuksellisen paljon.", mail.TextBody);
        Assert.Contains(newDue.ToString("d.M.yyyy", CultureInfo.InvariantCulture), mail.TextBody);
        Assert.Contains(receivedOn.ToString("d.M.yyyy", CultureInfo.InvariantCulture), mail.TextBody);
        Assert.Contains("tietosuoja@om.fi", mail.TextBody);

        // Never beyond three months after receipt.
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/extend", LupaTestHost.Json(new { months = 1, reason = "More." })), HttpStatusCode.UnprocessableEntity, "months");

        var completed = await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/complete", LupaTestHost.Json(new { outcome = "Erased from every list; the suppression hash kept." })), HttpStatusCode.OK);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal("Erased from every list; the suppression hash kept.", completed.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, completed.GetProperty("deadline").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, completed.GetProperty("closedAt").ValueKind);
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/extend", LupaTestHost.Json(new { months = 1, reason = "x" })), HttpStatusCode.Conflict, "status");
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/refuse", LupaTestHost.Json(new { reason = "x" })), HttpStatusCode.Conflict, "status");

        // A refusal in English tells the reason and the right to complain.
        var english = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "restriction", email = "someone@example.com", channel = "email", language = "en",
        })), HttpStatusCode.Created);
        var refused = await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{english.GetProperty("id").GetInt64()}/refuse", LupaTestHost.Json(new
        {
            reason = "We could not confirm that the address is yours.",
        })), HttpStatusCode.OK);
        Assert.Equal("refused", refused.GetProperty("status").GetString());
        var refusal = MailText.Parse(Assert.Single(await host.WaitForMailAsync("someone@example.com")));
        Assert.Equal("Your data protection request", refusal.Subject);
        Assert.Contains("Reason: We could not confirm that the address is yours.", refusal.TextBody);
        Assert.Contains("supervisory authority", refusal.TextBody);

        // Every step is in the audit trail, without the person's address.
        var audit = await new AuditStore(host.Db).ListAsync(org.OrgId, 50);
        Assert.Contains(audit, e => e.Action == "privacy_request.extend" && e.Subject == $"privacy_request:{id}");
        Assert.Contains(audit, e => e.Action == "privacy_request.refuse");
        Assert.DoesNotContain(audit, e => e.Details.Contains("example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_input_gets_problem_json_and_stores_nothing()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);
        Task<HttpResponseMessage> Post(object body) => api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(body));

        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client().GetAsync("/api/v1/privacy/requests")).StatusCode);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/requests", new StringContent("type=access")), HttpStatusCode.UnsupportedMediaType);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/requests", new StringContent("{\"type\":", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", colour = "red" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await Post(new { email = "a@example.com" }), HttpStatusCode.UnprocessableEntity, "type");
        await ProblemAsync(await Post(new { type = "complaint", email = "a@example.com" }), HttpStatusCode.UnprocessableEntity, "type");
        await ProblemAsync(await Post(new { type = "access", email = "not-an-address" }), HttpStatusCode.UnprocessableEntity, "email");
        await ProblemAsync(await Post(new { type = "access" }), HttpStatusCode.UnprocessableEntity, "email");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", channel = "self_service" }), HttpStatusCode.UnprocessableEntity, "channel");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", channel = "pigeon" }), HttpStatusCode.UnprocessableEntity, "channel");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", receivedAt = DateTimeOffset.UtcNow.AddDays(2).ToString("O") }), HttpStatusCode.UnprocessableEntity, "receivedAt");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", receivedAt = "yesterday" }), HttpStatusCode.UnprocessableEntity, "receivedAt");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", receivedAt = "2017-12-31" }), HttpStatusCode.UnprocessableEntity, "receivedAt");
        await ProblemAsync(await Post(new { type = "rectification", email = "a@example.com" }), HttpStatusCode.UnprocessableEntity, "details");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", objectionScope = "profiling" }), HttpStatusCode.UnprocessableEntity, "objectionScope");
        await ProblemAsync(await Post(new { type = "objection", email = "a@example.com", objectionScope = "everything" }), HttpStatusCode.UnprocessableEntity, "objectionScope");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", language = "sv" }), HttpStatusCode.UnprocessableEntity, "language");
        await ProblemAsync(await Post(new { type = "access", email = "a@example.com", details = new string('x', 4001) }), HttpStatusCode.UnprocessableEntity, "details");

        await ProblemAsync(await api.GetAsync("/api/v1/privacy/requests?status=open"), HttpStatusCode.UnprocessableEntity, "status");
        await ProblemAsync(await api.GetAsync("/api/v1/privacy/requests?overdue=maybe"), HttpStatusCode.UnprocessableEntity, "overdue");
        await ProblemAsync(await api.GetAsync("/api/v1/privacy/requests?limit=0"), HttpStatusCode.UnprocessableEntity, "limit");
        await ProblemAsync(await api.GetAsync("/api/v1/privacy/requests/424242"), HttpStatusCode.NotFound);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/requests/424242/extend", LupaTestHost.Json(new { months = 1, reason = "x" })), HttpStatusCode.NotFound);
        Assert.Equal(0, (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests"), HttpStatusCode.OK)).GetArrayLength());

        var late = await JsonAsync(await Post(new { type = "access", email = "a@example.com", receivedAt = "2024-01-31" }), HttpStatusCode.Created);
        var id = late.GetProperty("id").GetInt64();
        string Path(string action) => $"/api/v1/privacy/requests/{id}/{action}";
        await ProblemAsync(await api.PostAsync(Path("extend"), LupaTestHost.Json(new { months = 3, reason = "x" })), HttpStatusCode.UnprocessableEntity, "months");
        await ProblemAsync(await api.PostAsync(Path("extend"), LupaTestHost.Json(new { reason = "x" })), HttpStatusCode.UnprocessableEntity, "months");
        // The first month ran out long ago: too late to extend.
        var tooLate = await ProblemAsync(await api.PostAsync(Path("extend"), LupaTestHost.Json(new { months = 1, reason = "x" })), HttpStatusCode.UnprocessableEntity, "months");
        Assert.Contains("2024-02-29", tooLate.GetProperty("detail").GetString());
        await ProblemAsync(await api.PostAsync(Path("complete"), LupaTestHost.Json(new { outcome = "  " })), HttpStatusCode.UnprocessableEntity, "outcome");
        await ProblemAsync(await api.PostAsync(Path("refuse"), LupaTestHost.Json(new { })), HttpStatusCode.UnprocessableEntity, "reason");
        await ProblemAsync(await api.PostAsync(Path("complete"), LupaTestHost.Json(new { outcome = "x", extra = 1 })), HttpStatusCode.BadRequest);
        var still = await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{id}"), HttpStatusCode.OK);
        Assert.Equal("verified", still.GetProperty("status").GetString());
        Assert.Equal(0, still.GetProperty("extensionMonths").GetInt32());
    }

    [Fact]
    public async Task Daily_summary_tells_the_privacy_officer_of_overdue_and_due_soon_requests_once_a_day()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Privacy:SummaryEnabled"] = "false" });
        var org = await host.CreateOrganisationAsync("acme");
        var store = new OrganisationStore(host.Db, org.OrgId);
        Assert.True(await store.AddPersonAsync(new PersonToCreate("dpo@acme.test", "Dpo", "privacy_officer", Lupa.Security.Passwords.Hash("dpo-password-1")), 0));
        using var api = host.Api(org.ApiKey);
        var summary = host.App.Services.GetRequiredService<PrivacySummary>();
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(0, await summary.SendAsync(now, CancellationToken.None));
        async Task<long> RegisterAsync(DateOnly received) => (await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "access", email = $"p{received.DayNumber}@example.com", channel = "letter", receivedAt = Iso(received),
        })), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        var today = LocalDate(now);
        var overdue = await RegisterAsync(today.AddMonths(-2));
        var soon = await RegisterAsync(today.AddDays(-26));
        var fine = await RegisterAsync(today.AddDays(-1));

        Assert.Equal(1, await summary.SendAsync(now, CancellationToken.None));
        var mail = MailText.Parse(Assert.Single(await host.WaitForMailAsync("dpo@acme.test")));
        Assert.Equal("Data protection requests of acme Oy: 1 overdue, 1 due within 7 days", mail.Subject);
        Assert.Contains($"#{overdue} access", mail.TextBody);
        Assert.Contains($"#{soon} access", mail.TextBody);
        Assert.DoesNotContain($"#{fine} ", mail.TextBody);
        Assert.DoesNotContain("@example.com", mail.TextBody);
        Assert.Contains($"/admin/o/acme/privacy-requests/{overdue}", mail.TextBody);
        // The owner is not told while the organisation has a privacy officer.
        Assert.Empty(await host.WaitForMailAsync(org.OwnerEmail, 1, 300));

        // Once a day, however often it runs; the next day again. "Later" stays on the same Helsinki day even when the
        // test runs in the day's last hour.
        var local = TimeZoneInfo.ConvertTime(now, Helsinki);
        var lastMinute = new DateTimeOffset(local.Date.AddDays(1).AddMinutes(-1), local.Offset);
        Assert.Equal(0, await summary.SendAsync(now.AddHours(1) < lastMinute ? now.AddHours(1) : lastMinute, CancellationToken.None));
        Assert.Equal(1, await summary.SendAsync(now.AddDays(1), CancellationToken.None));
    }

    [Fact]
    public async Task Summary_worker_sends_at_the_configured_hour_by_its_clock_and_again_the_next_day()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Privacy:SummaryEnabled"] = "false" });
        var org = await host.CreateOrganisationAsync("acme");
        Assert.True(await new OrganisationStore(host.Db, org.OrgId).AddPersonAsync(new PersonToCreate("dpo@acme.test", "Dpo", "privacy_officer", Lupa.Security.Passwords.Hash("dpo-password-1")), 0));
        using var api = host.Api(org.ApiKey);
        await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new
        {
            type = "erasure", email = "late@example.com", channel = "letter", receivedAt = Iso(TodayInHelsinki().AddMonths(-2)),
        })), HttpStatusCode.Created);

        // 07:00 in Helsinki today; the summary hour is 08.
        var seven = new DateTimeOffset(TodayInHelsinki().ToDateTime(new TimeOnly(7, 0)), Helsinki.GetUtcOffset(TodayInHelsinki().ToDateTime(new TimeOnly(7, 0))));
        var clock = new FakeClock(seven);
        using var worker = new PrivacySummaryWorker(host.App.Services.GetRequiredService<PrivacySummary>(),
            host.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Lupa.Hosting.LupaOptions>>(), clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PrivacySummaryWorker>.Instance);
        async Task WaitForTimerAsync()
        {
            for (var i = 0; i < 200 && clock.Pending == 0; i++)
                await Task.Delay(25);
            Assert.Equal(1, clock.Pending);
        }

        await worker.StartAsync(CancellationToken.None);
        await WaitForTimerAsync();
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Empty(await host.WaitForMailAsync("dpo@acme.test", 1, 300));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(await host.WaitForMailAsync("dpo@acme.test"));
        await WaitForTimerAsync();
        clock.Advance(TimeSpan.FromHours(23));
        Assert.Single(await host.WaitForMailAsync("dpo@acme.test", 2, 300));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, (await host.WaitForMailAsync("dpo@acme.test", 2)).Count);
        await worker.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Verified_access_and_portability_requests_are_answered_with_a_time_limited_link()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _) = await OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        using var visitor = new Visitor(host);

        await visitor.PostFormAsync("/privacy/acme?lang=en", ("email", "maija@example.fi"), ("choice", "access"));
        await visitor.PostFormAsync("/privacy/acme?lang=en", ("email", "maija@example.fi"), ("choice", "portability"));
        var verifications = await host.WaitForMailAsync("maija@example.fi", 2);
        Assert.Equal(2, verifications.Count);
        foreach (var v in verifications)
            Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync(MailText.Link(v, "/privacy/verify/"))).StatusCode);

        var answers = (await host.WaitForMailAsync("maija@example.fi", 4)).Skip(2).ToList();
        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => Assert.Equal("Your data from acme Oy", MailText.Parse(a).Subject));
        var done = await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?status=completed"), HttpStatusCode.OK);
        Assert.Equal(2, done.GetArrayLength());
        Assert.All(done.EnumerateArray(), r => Assert.StartsWith("Answered automatically", r.GetProperty("outcome").GetString()));
        Assert.All(done.EnumerateArray(), r => Assert.Equal(PrivacyRequestService.AutomaticHandler, r.GetProperty("handler").GetString()));

        var links = answers.Select(a => MailText.Link(a, "/privacy/report/")).ToList();
        var pages = new List<string>();
        foreach (var l in links)
            pages.Add(await (await visitor.GetAsync(l)).Content.ReadAsStringAsync());
        var accessLink = links[pages.FindIndex(p => p.Contains("Consent history", StringComparison.Ordinal))];
        var portabilityLink = links[pages.FindIndex(p => p.Contains("download-csv", StringComparison.Ordinal))];
        var access = pages[links.IndexOf(accessLink)];
        Assert.Contains("maija@example.fi", access);
        Assert.Contains("Kuukausittaiset uutiset", access);
        Assert.Contains("Consent, GDPR Art. 6(1)(a)", access);
        Assert.Contains("Messulomake", access);
        Assert.Contains("tietosuoja@om.fi", access);
        Assert.Contains("builds no profile of you", access);

        var json = await JsonAsync(await visitor.GetAsync(accessLink + "?format=json"), HttpStatusCode.OK);
        Assert.Equal("maija@example.fi", json.GetProperty("subscriber").GetProperty("email").GetString());
        Assert.Equal("Uutiset", json.GetProperty("subscriptions")[0].GetProperty("list").GetString());
        Assert.Equal("paper", json.GetProperty("consentHistory")[0].GetProperty("method").GetString());
        Assert.Equal(0, json.GetProperty("messagesSent").GetArrayLength());
        Assert.Equal("Lupa, operated by our email service provider, as processor.", json.GetProperty("processing").GetProperty("recipients").GetString());

        var portableJson = await JsonAsync(await visitor.GetAsync(portabilityLink + "?format=json"), HttpStatusCode.OK);
        Assert.Equal("Maija", portableJson.GetProperty("name").GetString());
        var csv = await visitor.GetAsync(portabilityLink + "?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("email,name,language,list,status,subscribed_at,confirmed_at,attributes", lines[0]);
        Assert.StartsWith("maija@example.fi,Maija,fi,Uutiset,confirmed,", lines[1]);
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync(accessLink + "?format=csv")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync(accessLink[..^3] + "AAA")).StatusCode);

        // Reading the answer is in the audit trail.
        Assert.Contains(await new AuditStore(host.Db).ListAsync(org.OrgId, 50), e => e.Action == "privacy_request.report_read");
    }
}
