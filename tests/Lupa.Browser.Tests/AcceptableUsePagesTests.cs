using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Lupa.AcceptableUse;
using Lupa.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>
/// The operator's acceptable use dashboard and an organisation's reports in a real browser: a suspended
/// organisation, one over a warning threshold, one within the policy and one with a held import; the
/// operator keeps the suspension with a note the organisation reads, lifts it, and approves the import.
/// </summary>
public sealed class AcceptableUsePagesTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    // A campaign that went out with these figures, as its counters stand after the send and the reports that came back.
    private static async Task<long> SentCampaignAsync(LupaTestHost host, CampaignSetup s, string name, long sent, long failed, long hard, long complaints, long unsubscribes)
    {
        using var api = host.Api(s.ApiKey);
        var campaign = CampaignSupport.Campaign(s);
        var id = await CampaignSupport.CreateCampaignAsync(api, campaign);
        var now = DateTimeOffset.UtcNow.AddDays(-3).ToUnixTimeMilliseconds();
        await using var c = await host.Db.OpenAsync();
        await c.ExecuteAsync(
            """
            UPDATE campaigns SET name = @name, status = 'sent', started_at = @now, finished_at = @now, total = @sent + @failed, sent = @sent, failed = @failed,
              hard_bounces = @hard, complaints = @complaints, unsubscribes = @unsubscribes WHERE id = @id
            """,
            new { id, name, now, sent, failed, hard, complaints, unsubscribes });
        return id;
    }

    // Twelve weeks of growth and consent from several sources, so the charts have something to draw.
    private static async Task SeedHistoryAsync(LupaTestHost host, CampaignSetup s)
    {
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.ListId, 30, domain: "kahvila-fans.example");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rows = new List<object>();
        var (methods, sources) = (new[] { "double_opt_in", "double_opt_in", "double_opt_in", "form", "import" },
            new[] { "https://kahvila.example/join", "https://kahvila.example/join?utm_source=autumn", "https://kahvila.example/blog/autumn", "https://kahvila.example/join", "Signup sheet, coffee fair" });
        for (var week = 0; week < 12; week++)
        {
            var at = now - (11 - week) * 7 * 86_400_000L - 3_600_000;
            var grants = 12 + 4 * week + week % 3 * 6;
            for (var i = 0; i < grants; i++)
                rows.Add(new { s.OrgId, s.ListId, kind = "grant", method = methods[i % 5], evidence = i % 5 == 4 ? "paper" : null, source = sources[i % 5], at });
            for (var i = 0; i < 2 + week % 4; i++)
                rows.Add(new { s.OrgId, s.ListId, kind = "withdrawal", method = i % 2 == 0 ? "unsubscribe" : "preference_centre", evidence = (string?)null, source = (string?)null, at });
        }
        await using var c = await host.Db.OpenAsync();
        var someone = await c.ExecuteScalarAsync<long>("SELECT min(id) FROM subscribers WHERE org_id = @OrgId", new { s.OrgId });
        await c.ExecuteAsync(
            """
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, evidence_method, source, occurred_at, recorded_at)
            VALUES (@OrgId, @someone, @ListId, @kind, @method, @evidence, @source, @at, @at)
            """.Replace("@someone", someone.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), rows);
    }

    private static async Task<long> HeldImportAsync(LupaTestHost host)
    {
        var org = await host.CreateOrganisationAsync("tukku");
        await host.CreateListAsync(org.ApiKey, new { name = "Tukku News", slug = "news", language = "en" });
        using var api = host.Api(org.ApiKey);
        var id = await AdminImportTests.UploadFirmsAsync(api);
        await AdminImportTests.WaitUntilHeldAsync(api, id);
        return id;
    }

    [Fact]
    public async Task Operator_reviews_a_suspension_and_a_held_import_on_the_dashboard()
    {
        var host = fx.Host;
        var kauppa = await CampaignSupport.SetUpAsync(host, "kauppa");
        var kahvila = await CampaignSupport.SetUpAsync(host, "kahvila");
        var kirjasto = await CampaignSupport.SetUpAsync(host, "kirjasto");
        var stopped = await SentCampaignAsync(host, kauppa, "Spring offers", 2400, 40, 30, 11, 15);
        await SentCampaignAsync(host, kahvila, "Autumn letter", 1800, 10, 20, 3, 12);
        await SentCampaignAsync(host, kirjasto, "New books", 900, 0, 4, 0, 3);
        // What the bounce listener does after a complaint: measure the campaign.
        await host.App.Services.GetRequiredService<AcceptableUseService>().CheckCampaignAsync(stopped, CancellationToken.None);
        await SeedHistoryAsync(host, kahvila);
        var import = await HeldImportAsync(host);

        var page = await fx.NewPageAsync();
        var owner = await fx.NewPageAsync();
        try
        {
            await AdminPages.LogInAsync(page, "operator@lupa.localhost", "operator-password");
            await Expect(page.Locator("#suspended-count")).ToHaveTextAsync("1");
            await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Acceptable use" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/admin/acceptable-use$"));
            await Expect(page.Locator("#count-suspended")).ToHaveTextAsync("1");
            await Expect(page.Locator("#count-warnings")).ToHaveTextAsync("1");
            await Expect(page.Locator("#count-held")).ToHaveTextAsync("1");
            var suspension = page.Locator("#suspensions .suspension[data-org=kauppa]");
            await Expect(suspension.Locator(".reason")).ToContainTextAsync("Campaign “Spring offers”");
            await Expect(suspension.Locator(".reason")).ToContainTextAsync("the complaint rate is 0.46% (11 of 2,400 sent), over the stop threshold of 0.3%");
            await Expect(page.Locator("tr.organisation-line[data-org=kauppa]")).ToHaveAttributeAsync("data-level", "stop");
            await Expect(page.Locator("tr.organisation-line[data-org=kahvila]")).ToHaveAttributeAsync("data-level", "warning");
            await Expect(page.Locator("tr.organisation-line[data-org=kahvila] td.rate-warning")).ToHaveTextAsync("0.17%");
            await Expect(page.Locator("tr.organisation-line[data-org=kirjasto]")).ToHaveAttributeAsync("data-level", "ok");
            await Expect(page.Locator("tr.organisation-line[data-org=tukku]")).ToContainTextAsync("too few sent to judge");
            await Expect(page.Locator($"#held-imports tr.held-import[data-import-id='{import}']")).ToBeVisibleAsync();
            await Screenshots.TakeAsync(page, "acceptable-use-dashboard.png");

            // Kept, with a note: the organisation reads it on its pages.
            await suspension.Locator("textarea").FillAsync("Please tell us where the Spring offers list came from.");
            await suspension.GetByRole(AriaRole.Button, new() { Name = "Keep suspended" }).ClickAsync();
            await Expect(page.Locator("#review-notice")).ToContainTextAsync("The suspension of kauppa Oy is kept");
            await AdminPages.LogInAsync(owner, kauppa.OwnerEmail, kauppa.OwnerPassword);
            await owner.GotoAsync($"/admin/o/kauppa/campaigns/{stopped}");
            await Expect(owner.Locator("#sending-suspended")).ToContainTextAsync("Sending of kauppa Oy is suspended");
            await Expect(owner.Locator("#suspension-review")).ToContainTextAsync("Please tell us where the Spring offers list came from.");
            await Expect(owner.Locator("#policy-stopped")).ToBeVisibleAsync();
            await Expect(owner.Locator("tr.policy-finding[data-measure=complaint_rate]")).ToHaveAttributeAsync("data-level", "stop");
            await Screenshots.TakeAsync(owner, "sending-suspended.png");

            // Lifted: gone from the review, in the history; the banner is gone.
            await suspension.GetByRole(AriaRole.Button, new() { Name = "Lift suspension" }).ClickAsync();
            await Expect(page.Locator("#review-notice")).ToContainTextAsync("is lifted");
            await Expect(page.Locator("#no-suspensions")).ToBeVisibleAsync();
            await Expect(page.Locator("#lifted-suspensions")).ToContainTextAsync("kauppa Oy");
            await owner.ReloadAsync();
            await Expect(owner.Locator("#sending-suspended")).ToHaveCountAsync(0);

            // The held import, decided with the import review's own form, back on the dashboard.
            await page.Locator($"#held-imports tr.held-import[data-import-id='{import}']").GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/admin/acceptable-use\\?reviewed="));
            await Expect(page.Locator("#review-notice")).ToContainTextAsync($"Import #{import} approved");
            await Expect(page.Locator("#no-held-imports")).ToBeVisibleAsync();

            // An organisation's reports, as its people and the operator see them.
            await page.GotoAsync("/admin/o/kahvila/reports");
            await Expect(page.Locator("#growth-chart rect")).Not.ToHaveCountAsync(0);
            await Expect(page.Locator("#consent-methods-chart")).ToBeVisibleAsync();
            await Expect(page.Locator("#standing-warning")).ToContainTextAsync("complaint rate");
            await Expect(page.Locator("tr.consent-method[data-method=double_opt_in]")).ToBeVisibleAsync();
            await Screenshots.TakeAsync(page, "organisation-reports.png");
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#growth-csv").ClickAsync());
            Assert.Equal("kahvila-growth.csv", download.SuggestedFilename);
        }
        finally
        {
            await page.Context.CloseAsync();
            await owner.Context.CloseAsync();
        }
    }
}
