using System.Net;
using System.Text.RegularExpressions;
using Lupa.Storage;
using Lupa.Tests;
using Microsoft.Playwright;
using Organisation = Lupa.Organisations.CreatedOrganisation;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>The admin UI in a real browser: login, subscribers and their consent history, the mail catcher, the operator's view.</summary>
public sealed class AdminTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private const string OperatorEmail = "operator@lupa.localhost";
    private const string OperatorPassword = "operator-password";

    /// <summary>An organisation with one English list "{slug} Letter" (slug "letter").</summary>
    private async Task<Organisation> OrganisationWithListAsync(string slug)
    {
        var org = await fx.Host.CreateOrganisationAsync(slug);
        await fx.Host.CreateListAsync(org.ApiKey, new { name = $"{slug} Letter", slug = "letter", language = "en", consentWording = $"Send me the {slug} letter." });
        return org;
    }

    private const string FormUserAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    private const string MailUserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) Mobile/15E148";

    /// <summary>Subscribes through the public form (as a plain HTTP client) and returns the confirmation mail.</summary>
    private async Task<CaughtMessageRow> SubscribeAsync(string org, string email, string name)
    {
        using var web = fx.Host.Client();
        web.DefaultRequestHeaders.UserAgent.ParseAdd(FormUserAgent);
        var posted = await web.PostAsync($"/s/{org}/letter", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["name"] = name, ["consent"] = "yes",
        }));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        return Assert.Single(await fx.Host.WaitForMailAsync(email));
    }

    /// <summary>Subscribes and opens the confirmation link.</summary>
    private async Task<CaughtMessageRow> SubscribeAndConfirmAsync(string org, string email, string name)
    {
        var mail = await SubscribeAsync(org, email, name);
        using var web = fx.Host.Client();
        web.DefaultRequestHeaders.UserAgent.ParseAdd(MailUserAgent);
        var confirmed = await web.GetAsync(MailText.Link(mail, "/c/"));
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        return mail;
    }

    private static async Task LogInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

    [Fact]
    public async Task Owner_logs_in_finds_a_subscriber_and_sees_their_consent_history()
    {
        var org = await OrganisationWithListAsync("roastery");
        const string email = "fan@roastery-readers.example";
        var mail = await SubscribeAndConfirmAsync("roastery", email, "Fan Person");
        await SubscribeAsync("roastery", "bystander@example.org", "Someone Else");
        var page = await fx.NewPageAsync();

        await page.GotoAsync("/admin/login");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Log in");
        await Expect(page.GetByLabel("Password")).ToHaveAttributeAsync("type", "password");
        await Screenshots.TakeAsync(page, "admin-login.png");

        await LogInAsync(page, org.OwnerEmail, org.OwnerPassword);
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/roastery$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("roastery Oy");
        await Expect(page.Locator("#signed-in-email")).ToHaveTextAsync(org.OwnerEmail);
        await Expect(page.Locator("#count-confirmed")).ToHaveTextAsync("1");
        await Expect(page.Locator("#count-pending")).ToHaveTextAsync("1");
        // An owner is not the operator: no list of organisations.
        await Expect(page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Organisations" })).ToHaveCountAsync(0);

        // Subscribers: the search finds the one address, not the other subscriber.
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Subscribers" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/roastery/subscribers$"));
        await Expect(page.Locator(".subscriber-row")).ToHaveCountAsync(2);
        await page.Locator("#q").FillAsync("roastery-readers");
        await page.Locator("#subscriber-search").GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"[?&]q=roastery-readers"));
        var rows = page.Locator(".subscriber-row");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync(email);
        await Expect(rows).ToContainTextAsync("Fan Person");

        // The detail page: the confirmed subscription and the grant recorded by the double opt-in.
        await rows.GetByRole(AriaRole.Link, new() { Name = email }).ClickAsync();
        await Expect(page.Locator("#subscriber-email")).ToHaveTextAsync(email);
        await Expect(page.Locator(".subscription-row .badge")).ToHaveTextAsync("confirmed");
        var consents = page.Locator("#consent-history .consent-row");
        await Expect(consents).ToHaveCountAsync(1);
        await Expect(consents.Nth(0).Locator("td").Nth(2)).ToHaveTextAsync("grant");
        await Expect(consents.Nth(0).Locator("td").Nth(3)).ToHaveTextAsync("double_opt_in");
        await Expect(consents.Nth(0)).ToContainTextAsync("roastery Letter");
        await Expect(consents.Nth(0)).ToContainTextAsync("127.0.0.1");
        await Expect(consents.Nth(0)).ToContainTextAsync(MailUserAgent);
        await Expect(consents.Nth(0)).ToContainTextAsync(FormUserAgent);
        await Screenshots.TakeAsync(page, "admin-subscriber.png");

        // The subscriber unsubscribes from the message's link, in another browser.
        var subscriberPage = await fx.NewPageAsync();
        var unsubscribeUrl = Regex.Match(MailText.Parse(mail).Headers["List-Unsubscribe"] ?? "", "<(http[^>]+/u/[^>]+)>").Groups[1].Value;
        Assert.NotEmpty(unsubscribeUrl);
        await subscriberPage.GotoAsync(unsubscribeUrl);
        await subscriberPage.GetByRole(AriaRole.Button, new() { Name = "Unsubscribe" }).ClickAsync();
        await Expect(subscriberPage.Locator("h1")).ToHaveTextAsync("You are unsubscribed");
        await subscriberPage.Context.CloseAsync();

        // The history now ends with the withdrawal; the grant is still there.
        await page.ReloadAsync();
        await Expect(page.Locator(".subscription-row .badge")).ToHaveTextAsync("unsubscribed");
        await Expect(consents).ToHaveCountAsync(2);
        await Expect(consents.Nth(0).Locator("td").Nth(2)).ToHaveTextAsync("grant");
        await Expect(consents.Nth(1).Locator("td").Nth(2)).ToHaveTextAsync("withdrawal");
        await Expect(consents.Nth(1).Locator("td").Nth(3)).ToHaveTextAsync("unsubscribe");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_password_shows_an_error_and_no_admin_page()
    {
        var org = await OrganisationWithListAsync("bakery");
        var page = await fx.NewPageAsync();

        await LogInAsync(page, org.OwnerEmail, org.OwnerPassword + "-wrong");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("Wrong email address or password.");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/login$"));
        await Expect(page.GetByLabel("Email")).ToHaveValueAsync(org.OwnerEmail);
        await Expect(page.GetByLabel("Password")).ToHaveValueAsync("");
        await Expect(page.Locator("#signed-in-email")).ToHaveCountAsync(0);

        // No session was made: the organisation's pages still send the browser to the login.
        await page.GotoAsync("/admin/o/bakery/subscribers");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/login"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Log in");
        await Expect(page.Locator("#subscribers")).ToHaveCountAsync(0);
        await page.GotoAsync("/admin/mail-catcher");
        await Expect(page).ToHaveURLAsync(new Regex("/admin/login"));

        // An unknown address gets the same answer.
        await LogInAsync(page, "nobody@bakery.test", org.OwnerPassword);
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("Wrong email address or password.");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Mail_catcher_shows_the_confirmation_mail_with_its_links_and_raw_source()
    {
        var org = await OrganisationWithListAsync("brewery");
        await OrganisationWithListAsync("winery");
        const string email = "taster@brewery-fans.example";
        var mail = await SubscribeAsync("brewery", email, "Taster");
        await SubscribeAsync("winery", "someone@winery-fans.example", "Other");
        var confirmUrl = MailText.Link(mail, "/c/");
        var page = await fx.NewPageAsync();

        await LogInAsync(page, org.OwnerEmail, org.OwnerPassword);
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/brewery$"));
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Mail catcher" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/mail-catcher$"));
        var row = page.Locator(".caught-row", new() { HasText = email });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Please confirm your subscription to brewery Letter");
        // The owner sees only their own organisation's mail.
        await Expect(page.Locator(".caught-row", new() { HasText = "winery-fans.example" })).ToHaveCountAsync(0);

        await row.GetByRole(AriaRole.Link, new() { Name = "Please confirm your subscription to brewery Letter" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/admin/mail-catcher/{mail.Id}$"));
        await Expect(page.Locator("#message-subject")).ToHaveTextAsync("Please confirm your subscription to brewery Letter");
        await Expect(page.Locator("#text-body")).ToContainTextAsync(confirmUrl);
        // The rendered HTML body, in its sandbox.
        await Expect(page.FrameLocator("#html-body").GetByText("Confirm my subscription")).ToBeVisibleAsync();
        await Expect(page.Locator("#html-body")).ToHaveAttributeAsync("sandbox", "");
        // The raw source, as text.
        var raw = page.Locator("#raw-source");
        await Expect(raw).ToContainTextAsync("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        await Expect(raw).ToContainTextAsync("Subject: Please confirm your subscription to brewery Letter");
        await Expect(raw).ToContainTextAsync($"To: Taster <{email}>");
        // The links, with the confirmation link among them.
        var confirmLink = page.Locator("a.mail-link", new() { HasText = "/c/" });
        await Expect(confirmLink).ToHaveCountAsync(1);
        await Expect(confirmLink).ToHaveAttributeAsync("href", confirmUrl);
        await Expect(confirmLink).ToHaveTextAsync(confirmUrl);
        // The sandboxed iframe is painted only once it has been in view; without this the
        // full-page screenshot shows it blank.
        await page.Locator("#html-body").ScrollIntoViewIfNeededAsync();
        await Screenshots.TakeAsync(page, "mail-catcher.png");

        // Following it from the catcher confirms the subscription, as from a mailbox.
        await confirmLink.ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Subscription confirmed");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_sees_the_organisations_and_an_organisations_lists()
    {
        await OrganisationWithListAsync("dairy");
        await OrganisationWithListAsync("orchard");
        await SubscribeAndConfirmAsync("dairy", "milk@dairy-fans.example", "Milk Fan");
        await SubscribeAsync("dairy", "cream@dairy-fans.example", "Cream Fan");
        var page = await fx.NewPageAsync();

        await LogInAsync(page, OperatorEmail, OperatorPassword);
        await Expect(page).ToHaveURLAsync(new Regex("/admin$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Organisations");
        await Expect(page.Locator("#signed-in-email")).ToHaveTextAsync(OperatorEmail);
        var orgs = page.Locator("#organisations tbody tr");
        await Expect(orgs.Filter(new() { HasText = "dairy Oy" })).ToHaveCountAsync(1);
        await Expect(orgs.Filter(new() { HasText = "orchard Oy" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#create-organisation")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "admin-organisations.png");

        await orgs.Filter(new() { HasText = "dairy Oy" }).GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/dairy$"));
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Lists" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/dairy/lists$"));
        var list = page.Locator("#lists .list-row");
        await Expect(list).ToHaveCountAsync(1);
        await Expect(list.Locator("td").Nth(0)).ToHaveTextAsync("dairy Letter");
        await Expect(list.Locator("td").Nth(2)).ToHaveTextAsync("en");
        await Expect(list.Locator(".badge.confirmed")).ToHaveTextAsync("1");
        await Expect(list.Locator(".badge.pending")).ToHaveTextAsync("1");
        await Expect(list.Locator(".badge.unsubscribed")).ToHaveTextAsync("0");
        await Expect(list.GetByRole(AriaRole.Link, new() { Name = "/s/dairy/letter" })).ToHaveAttributeAsync("href", "/s/dairy/letter");
        await Screenshots.TakeAsync(page, "admin-lists.png");
        await page.Context.CloseAsync();
    }
}
