using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Storage;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>The tracking setting and a campaign's report with its charts, in a real browser.</summary>
public sealed partial class CampaignReportTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private const string Phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
    private const string GoogleProxy = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";

    [GeneratedRegex("""href="([^"]*/t/c/[^"]*)""")]
    private static partial Regex ClickLink();

    [GeneratedRegex("""<img src="([^"]*/t/o/[^"]*)""")]
    private static partial Regex Pixel();

    private static async Task HitAsync(HttpClient web, string url, string userAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, WebUtility.HtmlDecode(url));
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await web.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Found, response.StatusCode.ToString());
    }

    [Fact]
    public async Task Individual_tracking_is_turned_on_and_the_campaign_report_shows_its_charts_and_downloads_as_csv()
    {
        var s = await CampaignSupport.SetUpAsync(fx.Host, "coffee");
        await CampaignSupport.SeedAsync(fx.Host.Db, s.OrgId, s.ListId, 40);
        var page = await fx.NewPageAsync();
        await AdminPages.LogInAsync(page, s.OwnerEmail, s.OwnerPassword);

        // The setting: off by default, turned on by the owner.
        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Tracking" }).ClickAsync();
        await Expect(page.Locator("#IndividualTracking")).Not.ToBeCheckedAsync();
        await page.Locator("#IndividualTracking").CheckAsync();
        await page.Locator("#save-tracking").ClickAsync();
        await Expect(page.Locator("#form-notice")).ToContainTextAsync("Saved.");
        await Expect(page.Locator("#IndividualTracking")).ToBeCheckedAsync();

        using var api = fx.Host.Api(s.ApiKey);
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s,
            "# Autumn roast\n\nHello {{ subscriber.name }}!\n\n[See the beans](https://roastery.test/beans)\n\n[Brewing guide](https://roastery.test/guide)\n\n[Visit the shop](https://roastery.test/shop)\n"));
        await CampaignSupport.StartAsync(api, id);
        await CampaignSupport.WaitAsync(api, id, 60, "sent");

        // Ten recipients' messages: people open and click on their phones, an image proxy opens some, a scanner clicks.
        var messages = new List<string>();
        for (var i = 0; i < 10; i++)
            messages.Add(MailText.Parse((await fx.Host.WaitForMailAsync($"p{i}@example.com"))[0]).HtmlBody!);
        await Task.Delay(2100);
        using var web = fx.Host.Client();
        for (var i = 0; i < 10; i++)
        {
            var links = ClickLink().Matches(messages[i]).Select(m => m.Groups[1].Value).ToList();
            var pixel = Pixel().Match(messages[i]).Groups[1].Value;
            if (i < 6)
                await HitAsync(web, pixel, Phone);
            else
                await HitAsync(web, pixel, GoogleProxy);
            if (i < 4)
                await HitAsync(web, links[0], Phone);
            if (i is 1 or 2)
                await HitAsync(web, links[1], Phone);
            if (i >= 8)
                await HitAsync(web, links[2], "Barracuda Sentinel (EE)");
        }
        // The report of a campaign a day on: the hours after these, through the writer's own path.
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
        var history = new List<TrackingCount>();
        for (var h = 1; h <= 30; h++)
        {
            var hour = start + h * 3_600_000L;
            var people = (long)Math.Round(18 * Math.Exp(-h / 7.0) + (h % 24 is 8 or 9 or 19 ? 4 : 0));
            history.Add(new TrackingCount(id, 1, 0, 0, hour, people));
            history.Add(new TrackingCount(id, 1, 0, 1, hour, h <= 2 ? 6 : h % 5 == 0 ? 1 : 0));
            history.Add(new TrackingCount(id, 2, Lupa.Mail.Templates.TrackedLink.IdOf("https://roastery.test/beans"), 0, hour, people / 3));
            history.Add(new TrackingCount(id, 2, Lupa.Mail.Templates.TrackedLink.IdOf("https://roastery.test/guide"), 0, hour, people / 5));
        }
        await new TrackingRecorder(fx.Host.Db).RecordAsync(history, []);

        // Wait until the writer has counted the live opens and clicks.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement report;
        do
        {
            await Task.Delay(200);
            report = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/report")).RootElement.Clone();
        }
        while (report.GetProperty("clicks").GetProperty("machine").GetInt64() < 2 && DateTime.UtcNow < deadline);
        Assert.Equal(4, report.GetProperty("clicks").GetProperty("uniqueHuman").GetInt64());
        Assert.Equal(6, report.GetProperty("opens").GetProperty("uniqueHuman").GetInt64());

        await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Campaigns" }).ClickAsync();
        await page.Locator(".campaign-row", new() { HasText = "November news" }).GetByRole(AriaRole.Link).First.ClickAsync();
        await page.Locator("#campaign-report").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/admin/o/coffee/campaigns/{id}/report$"));
        await Expect(page.Locator("#stat-sent")).ToHaveTextAsync("40");
        await Expect(page.Locator("#stat-delivered")).ToHaveTextAsync("40");
        await Expect(page.Locator("#tracking-mode")).ToContainTextAsync("Individual tracking is on");
        // Opens: 6 by people now and the history's; 4 by Google's proxy now.
        await Expect(page.Locator("#row-opens td").Nth(2)).ToHaveTextAsync("6");
        await Expect(page.Locator("#row-clicks td").Nth(1)).ToHaveTextAsync("2");
        await Expect(page.Locator("#row-clicks td").Nth(2)).ToHaveTextAsync("4");
        foreach (var chart in new[] { "#chart-summary", "#chart-opens", "#chart-clicks", "#chart-links" })
            await Expect(page.Locator(chart)).ToBeVisibleAsync();
        await Expect(page.Locator("#chart-opens rect.human")).ToHaveCountAsync(31);
        await Expect(page.Locator("#link-clicks .link-row")).ToHaveCountAsync(3);
        await Expect(page.Locator("#link-clicks .link-row").First.Locator("td").First).ToHaveTextAsync("https://roastery.test/beans");
        await Screenshots.TakeAsync(page, "campaign-report.png");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#report-csv").ClickAsync());
        Assert.Equal($"campaign-{id}-report.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("section,hour,link_id,url,metric,value\r\n", csv, StringComparison.Ordinal);
        Assert.Contains("summary,,,,sent,40\r\n", csv, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }
}
