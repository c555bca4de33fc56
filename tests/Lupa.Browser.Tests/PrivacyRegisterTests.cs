using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Storage;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>The privacy officer's request register in a real browser: deadlines highlighted, filters, and the actions.</summary>
public sealed class PrivacyRegisterTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private static readonly TimeZoneInfo Helsinki = TimeZoneInfo.FindSystemTimeZoneById("Europe/Helsinki");

    private static DateOnly Today() => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Helsinki).DateTime);

    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<long> RegisterAsync(HttpClient api, object body)
    {
        var response = await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>Adds a person with a role to the organisation and logs them in, in a fresh browser context.</summary>
    private async Task<IPage> LogInAsync(Organisations.CreatedOrganisation org, string email, string role, string password)
    {
        var store = new OrganisationStore(fx.Host.Db, org.OrgId);
        Assert.True(await store.AddPersonAsync(new PersonToCreate(email, role, role, Lupa.Security.Passwords.Hash(password)), 0));
        var page = await fx.NewPageAsync();
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/admin/o/{org.Slug}$"));
        return page;
    }

    [Fact]
    public async Task Privacy_officer_sees_overdue_and_due_soon_requests_highlighted_and_extends_one()
    {
        var org = await fx.Host.CreateOrganisationAsync("kahvila");
        using var api = fx.Host.Api(org.ApiKey);
        var today = Today();
        var overdueReceived = today.AddMonths(-1).AddDays(-4);
        var daysOverdue = today.DayNumber - DateOnly.FromDateTime(overdueReceived.ToDateTime(TimeOnly.MinValue).AddMonths(1)).DayNumber;
        var overdue = await RegisterAsync(api, new { type = "access", email = "liisa.virtanen@example.fi", channel = "letter", receivedAt = Iso(overdueReceived), language = "fi", details = "Kirje, henkilöllisyys tarkistettu asiakasrekisteristä." });
        var soon = await RegisterAsync(api, new { type = "erasure", email = "matti.korhonen@example.fi", channel = "phone", receivedAt = Iso(today.AddDays(-26)), language = "fi" });
        var onTime = await RegisterAsync(api, new { type = "rectification", email = "anna.lindqvist@example.com", channel = "email", receivedAt = Iso(today.AddDays(-2)), details = "Surname is Lindqvist, not Lindquist." });
        var objection = await RegisterAsync(api, new { type = "objection", objectionScope = "profiling", email = "pekka@example.fi", channel = "letter", receivedAt = Iso(today.AddDays(-10)) });
        var done = await RegisterAsync(api, new { type = "portability", email = "sari@example.fi", channel = "email", receivedAt = Iso(today.AddDays(-12)) });
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/v1/privacy/requests/{done}/complete", LupaTestHost.Json(new { outcome = "JSON export sent by mail." }))).StatusCode);

        var page = await LogInAsync(org, "tietosuoja@kahvila.test", "privacy_officer", "officer-password-1");

        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Privacy requests" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/kahvila/privacy-requests$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Privacy requests");
        await Expect(page.Locator("#count-overdue")).ToHaveTextAsync("1");
        await Expect(page.Locator("#count-due-soon")).ToHaveTextAsync("1");
        var rows = page.Locator(".privacy-request-row");
        await Expect(rows).ToHaveCountAsync(5);
        // Open requests first, the most urgent on top; the closed one last.
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-request-id", overdue.ToString(CultureInfo.InvariantCulture));
        await Expect(rows.Nth(0)).ToHaveClassAsync(new Regex(@"\boverdue\b"));
        await Expect(rows.Nth(0).Locator(".deadline .badge")).ToHaveTextAsync(daysOverdue == 1 ? "1 day overdue" : $"{daysOverdue} days overdue");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-request-id", soon.ToString(CultureInfo.InvariantCulture));
        await Expect(rows.Nth(1)).ToHaveClassAsync(new Regex(@"\bdue-soon\b"));
        await Expect(rows.Nth(4)).ToHaveAttributeAsync("data-request-id", done.ToString(CultureInfo.InvariantCulture));
        await Expect(rows.Nth(4)).ToContainTextAsync("completed");
        await Expect(page.Locator($".privacy-request-row[data-request-id='{onTime}']")).Not.ToHaveClassAsync(new Regex("overdue|due-soon"));
        await Expect(page.Locator($".privacy-request-row[data-request-id='{objection}']")).ToContainTextAsync("objection (profiling)");
        await Screenshots.TakeAsync(page, "privacy-register.png");

        // Filters.
        await page.Locator("#privacy-filter input[name=overdue]").CheckAsync();
        await page.Locator("#privacy-filter").GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("overdue=true"));
        await Expect(rows).ToHaveCountAsync(1);
        await page.Locator("#clear-filter").ClickAsync();
        await page.Locator("#status").SelectOptionAsync("completed");
        await page.Locator("#privacy-filter").GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await page.Locator("#clear-filter").ClickAsync();

        // The due-soon erasure is extended by a month; the person is told in Finnish.
        await page.Locator($".privacy-request-row[data-request-id='{soon}'] a").First.ClickAsync();
        await Expect(page.Locator("h1")).ToContainTextAsync($"Request {soon}: erasure");
        await Expect(page.Locator("#request-deadline")).ToHaveClassAsync(new Regex("due-soon"));
        await page.Locator("#months").SelectOptionAsync("1");
        await page.Locator("#extend-reason").FillAsync("Tiedot on poistettava myös kassajärjestelmästä, mikä vie aikaa.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Extend and tell the person" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("extended");
        await Expect(page.Locator("#request-status")).ToHaveTextAsync("extended");
        await Expect(page.Locator("#request-due")).ToHaveTextAsync(Iso(DateOnly.FromDateTime(today.AddDays(-26).ToDateTime(TimeOnly.MinValue).AddMonths(2))));
        await Expect(page.Locator("#request-deadline")).ToHaveTextAsync(new Regex("^due in \\d+ days$"));
        await Screenshots.TakeAsync(page, "privacy-request.png");
        var told = MailText.Parse(Assert.Single(await fx.Host.WaitForMailAsync("matti.korhonen@example.fi")));
        Assert.Equal("Tietosuojapyyntösi: vastaus viivästyy", told.Subject);
        Assert.Contains("kassajärjestelmästä", told.TextBody);

        // An extension without a reason is refused on the page.
        await page.Locator("#months").SelectOptionAsync("1");
        await page.Locator("#extend-reason").EvaluateAsync("e => e.removeAttribute('required')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Extend and tell the person" }).ClickAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("reason");

        // The overdue access request is completed.
        await page.GotoAsync($"/admin/o/kahvila/privacy-requests/{overdue}");
        await page.Locator("#outcome").FillAsync("Report sent by post on paper.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await Expect(page.Locator("#request-status")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#request-outcome")).ToHaveTextAsync("Report sent by post on paper.");
        await Expect(page.Locator("#extend-form")).ToHaveCountAsync(0);
        await page.Locator("p.muted a", new() { HasText = "Privacy requests" }).ClickAsync();
        await Expect(page.Locator("#count-overdue")).ToHaveTextAsync("0");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_person_asks_on_the_public_page_in_finnish_and_says_what_to_correct()
    {
        await fx.Host.CreateOrganisationAsync("kirjasto");
        var page = await fx.NewPageAsync();
        await page.GotoAsync("/privacy/kirjasto?lang=fi");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tietosuojaoikeutesi");
        await Expect(page.Locator("#correction")).Not.ToBeVisibleAsync();
        await page.GetByLabel("Sähköpostiosoite").FillAsync("lukija@example.fi");
        await page.GetByLabel("Tietojeni oikaisu").CheckAsync();
        // What to correct shows once rectification is chosen.
        await Expect(page.Locator("#correction")).ToBeVisibleAsync();
        await page.Locator("#correction").FillAsync("Nimeni on Aino Lukija, ei Aina.");
        await Screenshots.TakeAsync(page, "privacy-request-page.png");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lähetä pyyntö" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tarkista sähköpostisi");
        var mail = MailText.Parse(Assert.Single(await fx.Host.WaitForMailAsync("lukija@example.fi")));
        Assert.Equal("Vahvista tietosuojapyyntösi: kirjasto Oy", mail.Subject);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_marketer_has_no_register()
    {
        var page = await LogInAsync(await fx.Host.CreateOrganisationAsync("leipomo"), "markkinointi@leipomo.test", "marketer", "marketer-password-1");
        await Expect(page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Privacy requests" })).ToHaveCountAsync(0);
        var response = await page.GotoAsync("/admin/o/leipomo/privacy-requests");
        Assert.Equal(403, response!.Status);
        await page.Context.CloseAsync();
    }
}
