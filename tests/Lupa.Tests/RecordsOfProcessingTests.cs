using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Lupa.Tests;

/// <summary>The records of processing (GDPR Article 30), generated from what Lupa knows.</summary>
public sealed class RecordsOfProcessingTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Dictionary<string, string?> Settings(int relayPort) => new()
    {
        ["Lupa:Relays:0:Name"] = "relay-one",
        ["Lupa:Relays:0:Host"] = "127.0.0.1",
        ["Lupa:Relays:0:Port"] = relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lupa:Relays:0:Tls"] = "starttls",
        ["Lupa:Processor:Name"] = "Postipalvelu Oy",
        ["Lupa:Processor:Contact"] = "Palvelukatu 2, 00100 Helsinki; privacy@postipalvelu.test",
        ["Lupa:Processor:SubProcessors:0"] = "Konesali Oy (servers in Helsinki)",
        ["Lupa:Campaigns:WorkerEnabled"] = "false",
    };

    private static async Task<Organisations.CreatedOrganisation> OrganisationAsync(LupaTestHost host)
    {
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "Uutiskirje", slug = "news", purpose = "Monthly news about our products" });
        await host.CreateListAsync(org.ApiKey, new { name = "Asiakasedut", slug = "customers", purpose = "Offers to our customers", legalBasis = "customer" });
        using var api = host.Api(org.ApiKey);
        await JsonAsync(await api.PutAsync("/api/v1/privacy-notice", LupaTestHost.Json(new
        {
            controllerName = "Acme Oy", controllerContact = "Esimerkkikatu 1, 00100 Helsinki; tietosuoja@acme.test", dpoContact = "dpo@acme.test",
            recipients = "Our CRM provider", transfers = "None outside the EU/EEA.", retention = "See the records.", rights = "All of them.",
            authorityName = "Tietosuojavaltuutettu", authorityContact = "tietosuoja.fi", automatedDecisions = "None.",
        })), HttpStatusCode.OK);
        await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = "maija@example.fi", name = "Maija", lists = new[] { "news" },
            consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messut" },
        })), HttpStatusCode.Created);
        await JsonAsync(await api.PutAsync("/api/v1/privacy/retention", LupaTestHost.Json(new { unsubscribedMonths = 18 })), HttpStatusCode.OK);
        return org;
    }

    [Fact]
    public async Task The_controller_record_names_purposes_legal_bases_data_recipients_retention_and_security_as_json_and_markdown()
    {
        await using var host = await LupaTestHost.StartAsync(Settings(TestDatabase.FreePort()));
        var org = await OrganisationAsync(host);
        using var api = host.Api(org.ApiKey);
        // A registered recipient (Article 19) is one of the record's recipients.
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/v1/privacy/recipients", LupaTestHost.Json(new
        {
            name = "Asiakasrekisteri Oy", kind = "processor", url = "https://crm.example/hooks/lupa", description = "Keeps the customer register",
        }))).StatusCode);

        var record = await JsonAsync(await api.GetAsync("/api/v1/privacy/records"), HttpStatusCode.OK);
        Assert.Equal("controller", record.GetProperty("kind").GetString());
        Assert.Equal("Acme Oy", record.GetProperty("controller").GetProperty("name").GetString());
        Assert.Equal("dpo@acme.test", record.GetProperty("controller").GetProperty("dpoContact").GetString());
        Assert.Equal("Postipalvelu Oy", record.GetProperty("processor").GetProperty("name").GetString());
        var activities = record.GetProperty("activities").EnumerateArray().ToList();
        var news = activities.Single(a => a.GetProperty("name").GetString() == "Email marketing: Uutiskirje");
        Assert.Equal("Monthly news about our products", news.GetProperty("purpose").GetString());
        Assert.Equal("Consent, GDPR Art. 6(1)(a)", news.GetProperty("legalBasis").GetString());
        Assert.Contains("1 confirmed", news.GetProperty("dataSubjects").GetString());
        var customers = activities.Single(a => a.GetProperty("name").GetString() == "Email marketing: Asiakasedut");
        Assert.Contains("soft opt-in", customers.GetProperty("legalBasis").GetString());
        Assert.Contains(activities, a => a.GetProperty("name").GetString()!.StartsWith("Data-subject requests", StringComparison.Ordinal));
        Assert.Contains(activities, a => a.GetProperty("name").GetString() == "Suppression list");
        var recipients = record.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Contains("Postipalvelu Oy", recipients);
        Assert.Contains(recipients, r => r.StartsWith("Mail relay relay-one (127.0.0.1:", StringComparison.Ordinal) && r.EndsWith("TLS starttls)", StringComparison.Ordinal));
        Assert.Contains("Konesali Oy (servers in Helsinki)", recipients);
        Assert.Contains("Our CRM provider", recipients);
        Assert.Contains("Asiakasrekisteri Oy", recipients);
        Assert.Equal("None outside the EU/EEA.", record.GetProperty("transfers").GetString());
        var retention = record.GetProperty("retention").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(retention, r => r.Contains("erased 18 months after their last withdrawal", StringComparison.Ordinal));
        Assert.Contains(retention, r => r.Contains("removed after 30 days", StringComparison.Ordinal));
        var security = record.GetProperty("securityMeasures").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(security, s => s.Contains("SHA-256 hashes", StringComparison.Ordinal));
        Assert.Contains(security, s => s.Contains("127.0.0.1", StringComparison.Ordinal) && s.Contains("TLS starttls", StringComparison.Ordinal));
        // Counts, never people.
        Assert.DoesNotContain("maija", record.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // Markdown, asked for by the query or by the Accept header.
        var markdown = await api.GetAsync("/api/v1/privacy/records?format=markdown");
        Assert.Equal("text/markdown", markdown.Content.Headers.ContentType?.MediaType);
        var md = await markdown.Content.ReadAsStringAsync();
        Assert.StartsWith("# Record of processing activities: acme Oy", md);
        Assert.Contains("| Legal basis | Consent, GDPR Art. 6(1)(a) |", md);
        Assert.Contains("## Technical and organisational security measures (Article 32)", md);
        using var accept = new HttpRequestMessage(HttpMethod.Get, "/api/v1/privacy/records");
        accept.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/markdown"));
        Assert.Equal("text/markdown", (await api.SendAsync(accept)).Content.Headers.ContentType?.MediaType);
        var bad = await api.GetAsync("/api/v1/privacy/records?format=pdf");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

        // The admin page shows it with the downloads, for those who keep the register; a marketer is refused.
        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        var page = await owner.GetPageAsync("/admin/o/acme/privacy/records");
        Assert.Contains("Monthly news about our products", page);
        Assert.Contains("Postipalvelu Oy", page);
        var download = await owner.GetAsync("/admin/o/acme/privacy/records?format=markdown");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("text/markdown", download.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".md", download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var json = await owner.GetAsync("/admin/o/acme/privacy/records?format=json");
        Assert.Equal("controller", JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.GetAsync("/admin/o/acme/privacy/records?format=pdf")).StatusCode);
        Assert.True(await new Lupa.Storage.OrganisationStore(host.Db, org.OrgId).AddPersonAsync(
            new Lupa.Storage.PersonToCreate("marketer@acme.test", "M", "marketer", Lupa.Security.Passwords.Hash("marketer-password-1")), 0));
        using var marketer = new Session(host);
        await marketer.LoginAsync("marketer@acme.test", "marketer-password-1");
        Assert.Equal(HttpStatusCode.Forbidden, (await marketer.GetAsync("/admin/o/acme/privacy/records")).StatusCode);

        // Another organisation's key reads its own record, which knows nothing of acme's lists.
        using var other = host.Api((await host.CreateOrganisationAsync("other")).ApiKey);
        var theirs = await JsonAsync(await other.GetAsync("/api/v1/privacy/records"), HttpStatusCode.OK);
        Assert.DoesNotContain("Uutiskirje", theirs.GetRawText());
    }

    [Fact]
    public async Task The_operator_reads_the_processor_record_across_organisations_and_nobody_else_does()
    {
        await using var host = await LupaTestHost.StartAsync(Settings(TestDatabase.FreePort()));
        var org = await OrganisationAsync(host);
        await host.CreateOrganisationAsync("beta");

        using var op = new Session(host);
        await op.LoginAsync("operator@lupa.localhost", "operator-password");
        var page = await op.GetPageAsync("/admin/processor-record");
        Assert.Contains("Postipalvelu Oy", page);
        Assert.Contains("Acme Oy", page);
        Assert.Contains("beta Oy", page);
        Assert.Contains("Konesali Oy", page);
        var json = JsonDocument.Parse(await (await op.GetAsync("/admin/processor-record?format=json")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("processor", json.GetProperty("kind").GetString());
        Assert.Equal(2, json.GetProperty("controllers").GetArrayLength());
        var acme = json.GetProperty("controllers").EnumerateArray().Single(c => c.GetProperty("slug").GetString() == "acme");
        Assert.Equal(1, acme.GetProperty("subscribers").GetInt64());
        Assert.Equal(2, acme.GetProperty("lists").GetInt32());
        var md = await (await op.GetAsync("/admin/processor-record?format=markdown")).Content.ReadAsStringAsync();
        Assert.StartsWith("# Record of processing activities carried out as processor", md);
        Assert.Contains("### acme Oy (acme)", md);

        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/admin/processor-record")).StatusCode);
    }
}
