using System.Net;
using System.Text.RegularExpressions;
using Lupa.Storage;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>A host whose records name a processor, a relay and a sub-processor, as a real installation's would.</summary>
public sealed class AccountabilityFixture : BrowserFixture
{
    /// <inheritdoc />
    protected override Task<IDictionary<string, string?>?> HostSettingsAsync() => Task.FromResult<IDictionary<string, string?>?>(new Dictionary<string, string?>
    {
        ["Lupa:Relays:0:Name"] = "smtp.postipalvelu.test",
        ["Lupa:Relays:0:Host"] = "127.0.0.1",
        ["Lupa:Relays:0:Port"] = TestDatabase.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lupa:Relays:0:Tls"] = "starttls",
        ["Lupa:Campaigns:WorkerEnabled"] = "false",
        ["Lupa:Processor:Name"] = "Postipalvelu Oy",
        ["Lupa:Processor:Contact"] = "Palvelukatu 2, 00100 Helsinki; tietosuoja@postipalvelu.test",
        ["Lupa:Processor:SubProcessors:0"] = "Konesali Oy (servers in Helsinki, Finland)",
    });
}

/// <summary>The privacy officer's accountability pages in a real browser: records of processing, retention, the audit log.</summary>
public sealed class AccountabilityPagesTests(AccountabilityFixture fx) : IClassFixture<AccountabilityFixture>
{
    [Fact]
    public async Task Privacy_officer_reads_the_records_of_processing_downloads_them_and_sets_retention()
    {
        var org = await fx.Host.CreateOrganisationAsync("kahvila");
        await fx.Host.CreateListAsync(org.ApiKey, new { name = "Kahvilan uutiskirje", slug = "uutiset", language = "fi", purpose = "Kuukausittaiset uutiset ja tapahtumat" });
        await fx.Host.CreateListAsync(org.ApiKey, new { name = "Kanta-asiakasedut", slug = "edut", language = "fi", purpose = "Edut kanta-asiakkaille", legalBasis = "customer" });
        using var api = fx.Host.Api(org.ApiKey);
        var notice = await api.PutAsync("/api/v1/privacy-notice", LupaTestHost.Json(new
        {
            controllerName = "Kahvila Oy", controllerContact = "Kahvikuja 3, 00100 Helsinki; tietosuoja@kahvila.test", dpoContact = "",
            recipients = "", transfers = "Ei siirtoja EU/ETA-alueen ulkopuolelle.", retention = "", rights = "Kaikki oikeudet.",
            authorityName = "Tietosuojavaltuutettu", authorityContact = "tietosuoja.fi", automatedDecisions = "Ei automaattisia päätöksiä.",
        }));
        Assert.Equal(HttpStatusCode.OK, notice.StatusCode);
        foreach (var (email, name, list) in new[] { ("liisa@example.fi", "Liisa", "uutiset"), ("matti@example.fi", "Matti", "uutiset"), ("anna@example.fi", "Anna", "edut") })
        {
            var added = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
            {
                email, name, lists = new[] { list }, consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Kahvilan tiski" },
            }));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        Assert.True(await new OrganisationStore(fx.Host.Db, org.OrgId).AddPersonAsync(
            new PersonToCreate("tietosuoja@kahvila.test", "Tietosuojavastaava", "privacy_officer", Lupa.Security.Passwords.Hash("officer-password-1")), 0));

        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, "tietosuoja@kahvila.test", "officer-password-1");
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Privacy requests" }).ClickAsync();
        await page.Locator("#privacy-nav").GetByRole(AriaRole.Link, new() { Name = "Records of processing" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/kahvila/privacy/records$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Records of processing");
        await Expect(page.Locator("#record-controller")).ToContainTextAsync("Kahvila Oy");
        await Expect(page.Locator("#record-processor")).ToContainTextAsync("Postipalvelu Oy");
        var first = page.Locator(".record-activity").First;
        await Expect(first.Locator("h3")).ToHaveTextAsync("1. Email marketing: Kahvilan uutiskirje");
        await Expect(first).ToContainTextAsync("Kuukausittaiset uutiset ja tapahtumat");
        await Expect(first).ToContainTextAsync("2 confirmed");
        await Expect(page.Locator(".record-activity").Nth(1).Locator(".legal-basis")).ToContainTextAsync("soft opt-in");
        await Expect(page.Locator("#record-recipients")).ToContainTextAsync("Mail relay smtp.postipalvelu.test");
        await Expect(page.Locator("#record-recipients")).ToContainTextAsync("Konesali Oy");
        await Expect(page.Locator("#record-retention")).ToContainTextAsync("removed after 30 days");
        await Expect(page.Locator("#record-security")).ToContainTextAsync("hash-chained audit trail");
        await Expect(page.GetByText("liisa@example.fi")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(page, "records-of-processing.png");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-markdown").ClickAsync());
        Assert.Matches(@"^kahvila-records-of-processing-\d{4}-\d{2}-\d{2}\.md$", download.SuggestedFilename);
        var path = await download.PathAsync();
        var markdown = await File.ReadAllTextAsync(path!);
        Assert.StartsWith("# Record of processing activities: kahvila Oy", markdown);
        Assert.Contains("### 1. Email marketing: Kahvilan uutiskirje", markdown);
        var json = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-json").ClickAsync());
        Assert.EndsWith(".json", json.SuggestedFilename);

        // Retention: change a period, count what a run would remove, run it.
        await page.Locator("#privacy-nav").GetByRole(AriaRole.Link, new() { Name = "Retention" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Retention");
        await page.Locator("#unsubscribedMonths").FillAsync("12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("Saved");
        await Expect(page.Locator("#retention-rules")).ToContainTextAsync("erased 12 months after their last withdrawal");
        await page.Locator("#dry-run").ClickAsync();
        await Expect(page.Locator("#dry-run-counts tr")).ToHaveCountAsync(10);
        await page.Locator("#run-now").ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("Retention ran");
        await Expect(page.Locator(".retention-run")).ToHaveCountAsync(1);
        await Expect(page.Locator(".retention-run").First).ToContainTextAsync("tietosuoja@kahvila.test");
        await Screenshots.TakeAsync(page, "retention.png");

        // The audit log shows what was looked at and changed, and by whom.
        await page.Locator("#privacy-nav").GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Expect(page.Locator(".audit-entry[data-action='retention.run']")).ToHaveCountAsync(1);
        await Expect(page.Locator(".audit-entry[data-action='retention.policy']")).ToContainTextAsync("tietosuoja@kahvila.test");
        await Expect(page.Locator(".audit-entry[data-action='subscriber.add']")).ToHaveCountAsync(3);
        await Screenshots.TakeAsync(page, "audit-log.png");
    }

    [Fact]
    public async Task The_operator_reads_the_processor_record()
    {
        await fx.Host.CreateOrganisationAsync("leipomo");
        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, "operator@lupa.localhost", "operator-password");
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Processor record" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Records of processing: processor");
        await Expect(page.Locator("#processor")).ToContainTextAsync("Postipalvelu Oy");
        await Expect(page.Locator(".controller[data-org='leipomo']")).ToContainTextAsync("leipomo Oy");
        await Expect(page.Locator("#sub-processors")).ToContainTextAsync("Konesali Oy");
    }
}
