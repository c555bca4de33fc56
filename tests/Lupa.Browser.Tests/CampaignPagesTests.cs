using System.Text.RegularExpressions;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>Lupa whose campaigns go through a test relay that takes 50 messages a second, so a send can be watched.</summary>
public sealed class CampaignBrowserFixture : BrowserFixture
{
    private TestRelay? _relay;

    public TestRelay Relay => _relay ?? throw new InvalidOperationException("not started");

    protected override async Task<IDictionary<string, string?>?> HostSettingsAsync()
    {
        _relay = await TestRelay.StartAsync(keepMessages: false);
        var settings = TestRelay.Settings(_relay.Port);
        settings["Lupa:Relays:0:MaxPerSecond"] = "50";
        return settings;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_relay is not null)
            await _relay.DisposeAsync();
    }
}

/// <summary>The campaign pages in a real browser: the editor with a segment, the preview, the check, the start and the progress; sender domains.</summary>
public sealed class CampaignPagesTests(CampaignBrowserFixture fx) : IClassFixture<CampaignBrowserFixture>
{
    /// <summary>
    /// Chromium runs a sandboxed frame in a process of its own and paints it only once it has been in
    /// view: scroll to it and give it a moment, so the full-page screenshot shows it.
    /// </summary>
    private static async Task ShowFrameAsync(IPage page)
    {
        await Expect(page.FrameLocator("#preview-html").Locator("h1")).ToBeVisibleAsync();
        await page.Locator("#preview-html").ScrollIntoViewIfNeededAsync();
        await page.WaitForTimeoutAsync(500);
    }

    [Fact]
    public async Task A_campaign_is_written_with_a_segment_previewed_checked_started_and_watched_until_sent()
    {
        var s = await CampaignSupport.SetUpAsync(fx.Host, "roastery");
        // 900 people, every third in Helsinki: the segment picks 300 of them.
        await CampaignSupport.SeedAsync(fx.Host.Db, s.OrgId, s.ListId, 900);
        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, s.OwnerEmail, s.OwnerPassword);

        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        await Expect(page.Locator("#no-campaigns")).ToBeVisibleAsync();
        await page.Locator("#new-campaign").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/admin/o/roastery/campaigns/new$"));

        await page.Locator("#Form_Name").FillAsync("Autumn roast");
        await page.Locator($"input[name='Form.ListIds'][value='{s.ListId}']").CheckAsync();
        var row = page.Locator("#segment-rows .segment-row").First;
        // The attribute name field appears only for an attribute, and the operators narrow to the field's.
        await Expect(row.Locator(".seg-key")).ToBeHiddenAsync();
        await row.Locator(".seg-field").SelectOptionAsync("attribute");
        await Expect(row.Locator(".seg-key")).ToBeVisibleAsync();
        await row.Locator(".seg-key").FillAsync("city");
        await row.Locator(".seg-op").SelectOptionAsync("eq");
        await row.Locator(".seg-value").FillAsync("Helsinki");
        await page.Locator("#segment-refresh").ClickAsync();
        await Expect(page.Locator("#segment-description")).ToHaveTextAsync("Selects: city is Helsinki");
        await Expect(page.Locator("#segment-count")).ToHaveTextAsync("300 people now");
        await Expect(page.Locator("#segment-rows .segment-row")).ToHaveCountAsync(2);
        // A date field offers only the date operators.
        var next = page.Locator("#segment-rows .segment-row").Nth(1);
        await next.Locator(".seg-field").SelectOptionAsync("subscription.confirmed_at");
        await Expect(next.Locator(".seg-op option[value='within_days']")).ToHaveJSPropertyAsync("hidden", false);
        await Expect(next.Locator(".seg-op option[value='contains']")).ToHaveJSPropertyAsync("hidden", true);
        await next.Locator(".seg-field").SelectOptionAsync("");
        await next.Locator(".seg-op").SelectOptionAsync("eq");

        // Saved without a sender address: refused, the problem beside the field, and nothing typed lost.
        await page.Locator("#Form_Subject").FillAsync("Autumn roast for {{ subscriber.name }}");
        await page.Locator("#save-campaign").ClickAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("The campaign was not saved");
        await Expect(page.Locator("#error-fromAddress")).ToBeVisibleAsync();
        await Expect(page.Locator("#error-body")).ToHaveTextAsync("Write the message.");
        await Expect(page.Locator("#Form_Name")).ToHaveValueAsync("Autumn roast");
        await Expect(page.Locator("#Form_Subject")).ToHaveValueAsync("Autumn roast for {{ subscriber.name }}");
        await Expect(page.Locator($"input[name='Form.ListIds'][value='{s.ListId}']")).ToBeCheckedAsync();
        await Expect(row.Locator(".seg-key")).ToHaveValueAsync("city");
        await Expect(row.Locator(".seg-value")).ToHaveValueAsync("Helsinki");

        await page.Locator("#Form_FromAddress").FillAsync("coffee@" + CampaignSupport.Domain);
        await page.Locator("#Form_ReplyTo").FillAsync("hello@roastery.test");
        await page.Locator("#Form_Subject").FillAsync("Autumn roast for {{ subscriber.name }}");
        await page.Locator("#Form_Preheader").FillAsync("Three new beans from Ethiopia and Peru");
        await page.Locator("#Form_Body").FillAsync(
            "# Autumn has come to {{ subscriber.attributes.city }}\n\nHello {{ subscriber.name }},\n\nThis month we roast three new beans:\n\n" +
            "- **Yirgacheffe**, bright and floral\n- **Sidamo**, berries and chocolate\n- **Cajamarca**, caramel and nuts\n\n[See the beans](https://roastery.test/beans)\n");
        await page.Locator("#save-campaign").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(@"/admin/o/roastery/campaigns/\d+\?done=saved$"));
        await Expect(page.Locator("#form-notice")).ToHaveTextAsync("Saved.");
        await Expect(page.Locator("#campaign-status")).ToHaveTextAsync("draft");
        await Expect(page.Locator("#campaign-segment")).ToHaveTextAsync("city is Helsinki");
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("300");
        await Expect(page.Locator("#check-ok")).ToBeVisibleAsync();

        // Back in the editor, the stored campaign with its segment described and counted.
        await page.Locator("#edit-campaign").ClickAsync();
        await Expect(page.Locator("#segment-description")).ToHaveTextAsync("Selects: city is Helsinki");
        await Expect(page.Locator("#segment-count")).ToHaveTextAsync("300 people now");
        await Expect(page.Locator("#segment-rows .segment-row").First.Locator(".seg-key")).ToHaveValueAsync("city");
        await Expect(page.Locator("#Form_Body")).ToHaveValueAsync(new Regex("^# Autumn has come to"));
        await Screenshots.TakeAsync(page, "campaign-editor.png");
        await page.GetByRole(AriaRole.Link, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await Expect(page.Locator("#campaign-status")).ToHaveTextAsync("draft");

        // The preview for one subscriber: the HTML in a sandboxed frame and the plain text.
        await page.Locator("#preview-email").FillAsync("p3@example.com");
        await page.Locator("#preview-form").GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.Locator("#preview-subject")).ToHaveTextAsync("Autumn roast for Person 3");
        await Expect(page.Locator("#preview-html")).ToHaveAttributeAsync("sandbox", "");
        var frame = page.FrameLocator("#preview-html");
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Autumn has come to Helsinki");
        await Expect(frame.Locator("body")).ToContainTextAsync("Katu 1");
        await Expect(page.Locator("#preview-text")).ToContainTextAsync("Hello Person 3,");
        await ShowFrameAsync(page);
        await Screenshots.TakeAsync(page, "campaign-preview.png");

        await page.Locator("#start").ClickAsync();
        await Expect(page.Locator("#form-notice")).ToHaveTextAsync("Sending started.");
        // The page's script polls the progress every second and reloads when the status changes.
        await page.WaitForFunctionAsync("() => +(document.getElementById('progress-sent') || {}).textContent > 90", null, new() { Timeout = 30_000 });
        await Expect(page.Locator("#progress-eta")).Not.ToHaveTextAsync("–");
        await ShowFrameAsync(page);
        await Screenshots.TakeAsync(page, "campaign-progress.png");
        await Expect(page.Locator("#campaign-status")).ToHaveTextAsync("sent", new() { Timeout = 60_000 });
        await Expect(page.Locator("#progress-sent")).ToHaveTextAsync("300");
        await Expect(page.Locator("#progress-remaining")).ToHaveTextAsync("0");
        await Expect(page.Locator("#progress-bar")).ToHaveAttributeAsync("value", "100");
        await Expect(page.Locator("#campaign-actions")).ToHaveCountAsync(0);
        Assert.Equal(300, fx.Relay.Accepted.Count);

        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        var listed = page.Locator(".campaign-row", new() { HasText = "Autumn roast" });
        await Expect(listed.Locator(".badge")).ToHaveTextAsync("sent");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_sender_domain_is_added_and_shows_the_dns_record_to_publish()
    {
        var s = await CampaignSupport.SetUpAsync(fx.Host, "bakery");
        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, s.OwnerEmail, s.OwnerPassword);
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Sender domains" }).ClickAsync();
        await Expect(page.Locator(".domain-row")).ToHaveCountAsync(1);

        await page.Locator("#domain").FillAsync("not a domain");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add domain" }).ClickAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("Give a domain name such as news.example.com.");
        await Expect(page.Locator("#domain")).ToHaveValueAsync("not a domain");

        await page.Locator("#domain").FillAsync("mail.bakery.test");
        await page.Locator("#algorithm").SelectOptionAsync("ed25519-sha256");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add domain" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("mail.bakery.test added");
        var added = page.Locator(".domain-row[data-domain='mail.bakery.test']");
        await Expect(added.Locator(".dns-name")).ToHaveTextAsync("lupa._domainkey.mail.bakery.test");
        await Expect(added.Locator(".dns-value")).ToHaveTextAsync(new Regex("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$"));
        await Expect(page.Locator(".domain-row")).ToHaveCountAsync(2);
        await Screenshots.TakeAsync(page, "sender-domains.png");

        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await added.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("mail.bakery.test removed");
        await Expect(page.Locator(".domain-row")).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }
}
