using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Storage;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>The privacy officer's breach register and recipients in a real browser.</summary>
public sealed class BreachRegisterTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<IPage> LogInAsync(Organisations.CreatedOrganisation org, string email, string password)
    {
        var store = new OrganisationStore(fx.Host.Db, org.OrgId);
        Assert.True(await store.AddPersonAsync(new PersonToCreate(email, "Tietosuojavastaava", "privacy_officer", Lupa.Security.Passwords.Hash(password)), 0));
        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, email, password);
        return page;
    }

    [Fact]
    public async Task Privacy_officer_registers_a_breach_watches_the_72_hour_clock_and_notifies_the_people_on_a_list()
    {
        var org = await fx.Host.CreateOrganisationAsync("verkkokauppa");
        var list = await fx.Host.CreateListAsync(org.ApiKey, new { name = "Asiakkaat", slug = "asiakkaat", language = "fi", purpose = "Asiakastiedotteet" });
        using var api = fx.Host.Api(org.ApiKey);
        foreach (var (email, name) in new[] { ("liisa@example.fi", "Liisa"), ("tom@example.com", "Tom") })
        {
            await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
            {
                email, name, lists = new[] { "asiakkaat" }, consent = new { timestamp = "2025-05-01T10:00:00Z", method = "form", source = "Kassalla" },
            })), HttpStatusCode.Created);
        }
        var tom = (await JsonAsync(await api.GetAsync("/api/v1/subscribers?email=tom@example.com"), HttpStatusCode.OK)).GetProperty("items")[0].GetProperty("id").GetInt64();
        await JsonAsync(await api.DeleteAsync($"/api/v1/subscribers/{tom}/lists/{list.GetProperty("id").GetInt64()}"), HttpStatusCode.OK);
        // An older breach, past its 72 hours and not yet notified, and one notified in time.
        var overdue = (await JsonAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(new
        {
            title = "Lost USB stick with an order export", discoveredAt = DateTimeOffset.UtcNow.AddHours(-80).ToString("O"),
            nature = "A USB stick with last month's order export was lost in transit.", subjectsApprox = 340,
        })), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        var notified = (await JsonAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(new
        {
            title = "Misdirected invoice email", discoveredAt = DateTimeOffset.UtcNow.AddDays(-20).ToString("O"),
            nature = "One invoice was sent to the wrong customer.", subjectsApprox = 1,
        })), HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{notified}/authority", LupaTestHost.Json(new
        {
            status = "not_required", reason = "One invoice to a known customer who deleted it; no risk to the person.",
        })), HttpStatusCode.OK);

        var page = await LogInAsync(org, "tietosuoja@verkkokauppa.test", "officer-password-1");
        await page.GotoAsync("/admin/o/verkkokauppa/privacy-requests");
        await page.Locator("nav.privacy-tabs").GetByRole(AriaRole.Link, new() { Name = "Breaches" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Breaches");

        // Register a breach with the form; the clock starts from the discovery time (now by default).
        await page.Locator("#title").FillAsync("Customer database readable from the internet");
        await page.Locator("#nature").FillAsync("A misconfigured backup server let anyone download the customer database (names, email addresses, order history).");
        await page.Locator("#subject-categories").FillAsync("customers");
        await page.Locator("#subjects-approx").FillAsync("2");
        await page.Locator("#record-categories").FillAsync("names, email addresses, order history");
        await page.Locator("#records-approx").FillAsync("57");
        await page.Locator("#consequences").FillAsync("Phishing that uses the order history to look genuine.");
        await page.Locator("#measures").FillAsync("The server was closed and its access logs are being read.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register the breach" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("72-hour clock");
        await Expect(page.Locator("h1")).ToContainTextAsync("Customer database readable from the internet");
        await Expect(page.Locator("#clock-state")).ToHaveTextAsync("running");
        await Expect(page.Locator("#countdown")).ToHaveTextAsync(new Regex(@"^7[01] h \d+ min \d+ s left$"));
        await Expect(page.Locator("#authority-text-fi")).ToHaveValueAsync(new Regex("Loukkaus havaittiin: "));
        await Expect(page.Locator("#authority-text-en")).ToHaveValueAsync(new Regex("Approximate number of personal data records: 57"));
        var id = Regex.Match(page.Url, @"breaches/(\d+)").Groups[1].Value;

        // The register: the overdue one first and marked, then the new one, the one needing no notification last.
        await page.Locator("nav.privacy-tabs").GetByRole(AriaRole.Link, new() { Name = "Breaches" }).ClickAsync();
        var rows = page.Locator(".breach-row");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-breach-id", overdue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(rows.Nth(0)).ToHaveClassAsync(new Regex("clock-overdue"));
        await Expect(rows.Nth(0).Locator(".clock .badge")).ToHaveTextAsync(new Regex(@"^8 h \d+ min overdue$"));
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-breach-id", id);
        await Expect(rows.Nth(2)).ToContainTextAsync("notification not required");
        await Screenshots.TakeAsync(page, "breach-register.png");

        // The overdue breach's page counts on past the deadline.
        await rows.Nth(0).Locator("a").First.ClickAsync();
        await Expect(page.Locator("#countdown")).ToHaveTextAsync(new Regex(@"overdue$"));
        await Expect(page.Locator("#countdown")).ToHaveClassAsync(new Regex("clock-overdue"));

        // Notify the people on the list, unsubscribed Tom too, each in their language.
        await page.GotoAsync($"/admin/o/verkkokauppa/breaches/{id}");
        await page.Locator("#notify-form input[name=Audience][value=lists]").CheckAsync();
        await page.Locator("#notice-lists").GetByLabel("Asiakkaat").CheckAsync();
        await Expect(page.Locator("#message-en")).ToHaveValueAsync(new Regex("^What happened: A misconfigured backup server"));
        await page.Locator("#message-fi").FillAsync("Varmuuskopiopalvelimen virheellisten asetusten vuoksi asiakastietokantamme oli ladattavissa internetistä.\n\nVarmista, että tunnistat lähettäjän ennen kuin avaat linkkejä.");
        await page.Locator("#message-en").FillAsync("Because of a misconfigured backup server our customer database could be downloaded from the internet.\n\nCheck the sender before you open links.");
        await Screenshots.TakeAsync(page, "breach.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the notice" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/breaches/{id}/notices/\\d+$"));
        await Expect(page.Locator("#notice-status")).ToHaveTextAsync("done", new() { Timeout = 20_000 });
        await Expect(page.Locator("#progress-sent")).ToHaveTextAsync("2");
        await Expect(page.Locator(".person-row[data-state=sent]")).ToHaveCountAsync(2);
        await Screenshots.TakeAsync(page, "breach-notice.png");
        var liisa = MailText.Parse(Assert.Single(await fx.Host.WaitForMailAsync("liisa@example.fi")));
        Assert.StartsWith("Tärkeä tiedote", liisa.Subject);
        var tomMail = MailText.Parse(Assert.Single(await fx.Host.WaitForMailAsync("tom@example.com")));
        Assert.Contains("vaikka olisit perunut viestien tilauksen", tomMail.TextBody);

        // Record the notification to the authority, in time.
        await page.GotoAsync($"/admin/o/verkkokauppa/breaches/{id}");
        await Expect(page.Locator("#notice-list .notice-row")).ToHaveCountAsync(1);
        await page.Locator("#authority-status-select").SelectOptionAsync("notified");
        await page.Locator("#reference").FillAsync("TSV/4711/2026");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record" }).ClickAsync();
        await Expect(page.Locator("#clock-state")).ToHaveTextAsync("notified");
        await Expect(page.Locator("#authority-reference")).ToHaveTextAsync("TSV/4711/2026");
        await Expect(page.Locator("#authority-text-en")).ToHaveValueAsync(new Regex("Communication to data subjects: notice sent to 2 people"));

        // A notice to nobody is refused on the page.
        await page.Locator("#notify-form input[name=Audience][value=addresses]").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the notice" }).ClickAsync();
        await Expect(page.Locator("#notify-error")).ToContainTextAsync("Addresses");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Privacy_officer_registers_a_recipient_sees_its_secret_once_and_its_delivery_log()
    {
        var org = await fx.Host.CreateOrganisationAsync("kirjakauppa");
        var page = await LogInAsync(org, "tietosuoja@kirjakauppa.test", "officer-password-2");
        await page.GotoAsync("/admin/o/kirjakauppa/privacy-recipients");
        await Expect(page.Locator("#no-recipients")).ToBeVisibleAsync();
        // Plain http is refused.
        await page.Locator("#name").FillAsync("Asiakasrekisteri (CRM)");
        await page.Locator("#url").FillAsync("http://crm.kirjakauppa.test/lupa");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register and show the secret" }).ClickAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("https");
        await page.Locator("#url").FillAsync("https://crm.kirjakauppa.test/lupa");
        await page.Locator("#description").FillAsync("Keeps the customer register for the shop; a processor under contract.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register and show the secret" }).ClickAsync();
        await Expect(page.Locator("#created-secret")).ToHaveTextAsync(new Regex("^whsec_"));
        var secret = await page.Locator("#created-secret").TextContentAsync();
        await Expect(page.Locator(".recipient-row")).ToHaveCountAsync(1);
        await Screenshots.TakeAsync(page, "privacy-recipients.png");

        await page.Locator(".recipient-row a").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Asiakasrekisteri (CRM)");
        Assert.DoesNotContain(secret!, await page.ContentAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test event" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("test event");
        await Expect(page.Locator(".delivery-row")).ToHaveCountAsync(1);
        await Expect(page.Locator(".delivery-row")).ToContainTextAsync("recipient.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "New secret" }).ClickAsync();
        await Expect(page.Locator("#created-secret")).ToHaveTextAsync(new Regex("^whsec_"));
        Assert.NotEqual(secret, await page.Locator("#created-secret").TextContentAsync());
        page.Dialog += (_, d) => d.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(page.Locator("#recipient-removed")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
