using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>What a subscriber does in a real browser: the form, the confirmation link, the preference centre.</summary>
public sealed class PublicFlowTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private const string Wording = "Yes, send me the Hop Garden letter about new brews. I can leave whenever I like.";

    private static async Task<JsonElement[]> FindSubscriberAsync(HttpClient api, string email) =>
        JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=" + Uri.EscapeDataString(email)))
            .RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToArray();

    [Fact]
    public async Task Public_form_confirmation_and_preference_centre_work_in_a_browser()
    {
        var host = fx.Host;
        var org = await host.CreateOrganisationAsync("hopgarden");
        await host.CreateListAsync(org.ApiKey, new { name = "Hop Garden News", slug = "news", language = "en", consentWording = Wording });
        using var api = host.Api(org.ApiKey);
        const string email = "reader.one@example.com";
        var page = await fx.NewPageAsync();

        // The form: consent is asked with the list's own wording, never pre-ticked, next to the privacy notice.
        var response = await page.GotoAsync("/s/hopgarden/news");
        Assert.Equal(200, response!.Status);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Hop Garden News");
        await Expect(page.GetByLabel("Email address")).ToBeVisibleAsync();
        var consent = page.Locator("input#consent[type=checkbox]");
        await Expect(consent).ToBeVisibleAsync();
        await Expect(consent).Not.ToBeCheckedAsync();
        await Expect(page.Locator("label[for=consent]")).ToHaveTextAsync(Wording);
        await Expect(page.GetByText(Wording, new() { Exact = true })).ToBeVisibleAsync();
        var noticeLink = page.GetByRole(AriaRole.Link, new() { Name = "Privacy notice" });
        await Expect(noticeLink).ToBeVisibleAsync();
        await Expect(noticeLink).ToHaveAttributeAsync("href", "/notice/hopgarden");
        // The honeypot is in the DOM but off-screen, where a person does not see it.
        await Expect(page.Locator("#website")).Not.ToBeInViewportAsync();
        await Screenshots.TakeAsync(page, "public-form.png");

        var notice = await page.RunAndWaitForPopupAsync(() => noticeLink.ClickAsync());
        await Expect(notice.Locator("h1")).ToContainTextAsync("Privacy notice");
        await notice.CloseAsync();

        // Without the tick: an error, the address kept in the field, nothing stored, no mail.
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Reader One");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Expect(page.Locator("[role=alert]")).ToHaveTextAsync("Please tick the box to give your consent.");
        await Expect(page.GetByLabel("Email address")).ToHaveValueAsync(email);
        await Expect(page.Locator("#consent")).Not.ToBeCheckedAsync();
        Assert.Empty(await FindSubscriberAsync(api, email));

        // With the tick: check your inbox, and a pending subscription.
        await page.Locator("#consent").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");
        var pending = Assert.Single(await FindSubscriberAsync(api, email));
        Assert.Equal("pending", pending.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var id = pending.GetProperty("id").GetInt64();

        // The confirmation mail's link, opened in the browser.
        var mail = Assert.Single(await host.WaitForMailAsync(email));
        var confirmUrl = MailText.Link(mail, "/c/");
        await page.GotoAsync(confirmUrl);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Subscription confirmed");
        await Expect(page.Locator(".card")).ToContainTextAsync("You are now subscribed to Hop Garden News.");
        await Screenshots.TakeAsync(page, "confirmed.png");
        var subscriber = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement;
        Assert.Equal("confirmed", subscriber.GetProperty("subscriptions")[0].GetProperty("status").GetString());

        // On to the preference centre.
        await page.GetByRole(AriaRole.Link, new() { Name = "Your preferences" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/p/[A-Za-z0-9_-]+$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Your preferences");
        await Expect(page.Locator("main")).ToContainTextAsync(email);
        var row = page.Locator("tr", new() { HasText = "Hop Garden News" });
        await Expect(row.Locator(".badge")).ToHaveTextAsync("subscribed");
        await Expect(row.Locator(".badge")).ToHaveClassAsync(new Regex(@"\bconfirmed\b"));
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Reader One");
        await Screenshots.TakeAsync(page, "preference-centre.png");

        // Rectification: change the name and save.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Reader Renamed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("[role=status]")).ToHaveTextAsync("Your changes are saved.");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("Reader Renamed");
        subscriber = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement;
        Assert.Equal("Reader Renamed", subscriber.GetProperty("name").GetString());

        // Withdrawal from the list.
        await row.GetByRole(AriaRole.Button, new() { Name = "Unsubscribe" }).ClickAsync();
        await Expect(row.Locator(".badge")).ToHaveTextAsync("unsubscribed");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Subscribe again" })).ToBeVisibleAsync();
        subscriber = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement;
        Assert.Equal("unsubscribed", subscriber.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var history = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement;
        Assert.Equal(["grant", "withdrawal"], history.EnumerateArray().Select(c => c.GetProperty("kind").GetString() ?? "").ToArray());

        // The refused first attempt sent nothing: one mail in all.
        Assert.Single(await host.WaitForMailAsync(email, count: 2, timeoutMs: 300));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_Finnish_list_shows_its_form_in_Finnish()
    {
        var host = fx.Host;
        var org = await host.CreateOrganisationAsync("kahvila");
        await host.CreateListAsync(org.ApiKey, new { name = "Kahvilan uutiset", slug = "uutiset", language = "fi", consentWording = "Haluan kahvilan uutiskirjeen sähköpostiini." });
        var page = await fx.NewPageAsync();

        await page.GotoAsync("/s/kahvila/uutiset");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "fi");
        await Expect(page.Locator("label[for=email]")).ToHaveTextAsync("Sähköpostiosoite");
        await Expect(page.Locator("label[for=name]")).ToHaveTextAsync("Nimi");
        await Expect(page.GetByText("Haluan kahvilan uutiskirjeen sähköpostiini.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Tietosuojaseloste" })).ToBeVisibleAsync();
        await Expect(page.Locator("#consent")).Not.ToBeCheckedAsync();

        await page.GetByLabel("Sähköpostiosoite").FillAsync("lukija@example.fi");
        await page.GetByRole(AriaRole.Button, new() { Name = "Tilaa" }).ClickAsync();
        await Expect(page.Locator("[role=alert]")).ToHaveTextAsync("Anna suostumuksesi rastittamalla ruutu.");

        await page.Locator("#consent").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Tilaa" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tarkista sähköpostisi");
        await page.Context.CloseAsync();
    }
}
