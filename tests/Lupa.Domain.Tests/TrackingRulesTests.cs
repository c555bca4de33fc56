using Lupa.Domain.Tracking;

namespace Lupa.Domain.Tests;

public sealed class TrackingRulesTests
{
    private const string Phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")]
    [InlineData("Mozilla/5.0")]
    [InlineData("  Mozilla/5.0  ")]
    [InlineData("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html")]
    [InlineData("Barracuda Sentinel (EE)")]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("python-requests/2.32.3")]
    [InlineData("curl/8.11.1")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36")]
    [InlineData("")]
    [InlineData(null)]
    public void Image_proxies_scanners_bots_libraries_and_no_user_agent_are_machines(string? userAgent) =>
        Assert.True(MachineSigns.IsMachineAgent(userAgent));

    [Theory]
    [InlineData(Phone)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")]
    [InlineData("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)")]
    public void Mail_programs_and_browsers_are_people(string userAgent) =>
        Assert.False(MachineSigns.IsMachineAgent(userAgent));

    [Fact]
    public void A_head_request_or_a_hit_within_two_seconds_of_the_send_is_a_machines()
    {
        var sent = 1_750_000_000L;
        Assert.True(MachineSigns.IsMachine(head: true, Phone, sent, sent * 1000 + 60_000));
        Assert.True(MachineSigns.IsMachine(head: false, Phone, sent, sent * 1000 + 1_999));
        Assert.False(MachineSigns.IsMachine(head: false, Phone, sent, sent * 1000 + 2_000));
        Assert.False(MachineSigns.IsMachine(head: false, Phone, 0, sent * 1000));
    }

    private static BurstClick Click(int link, long at, uint tag = 7) => new((1, tag), link, at);

    [Fact]
    public void Clicks_on_three_links_of_one_message_within_two_seconds_are_a_burst_the_first_one_too()
    {
        var judged = ClickBursts.Judge([Click(1, 10_000), Click(2, 10_400), Click(3, 11_900), Click(1, 20_000)]);
        Assert.Equal([true, true, true, false], judged);
    }

    [Fact]
    public void Repeated_clicks_on_few_links_and_clicks_spread_out_are_no_burst()
    {
        Assert.All(ClickBursts.Judge([Click(1, 0), Click(1, 100), Click(2, 200), Click(2, 300), Click(1, 400)]), Assert.False);
        Assert.All(ClickBursts.Judge([Click(1, 0), Click(2, 2_500), Click(3, 5_000), Click(4, 7_500)]), Assert.False);
        Assert.Empty(ClickBursts.Judge([]));
    }

    [Fact]
    public void Many_clicks_of_one_message_are_judged_in_one_pass()
    {
        // A scanner hammering one message: tens of thousands of clicks must not take quadratic time.
        var clicks = Enumerable.Range(0, 60_000).Select(i => Click(i % 5, i / 10)).ToList();
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.All(ClickBursts.Judge(clicks), Assert.True);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), started.Elapsed.ToString());
    }

    [Fact]
    public void A_batch_holds_each_messages_tag_once_per_kind_link_and_human_or_machine()
    {
        var tags = new UniqueTags();
        Assert.True(tags.Add(7, TrackingKind.Open, 0, machine: false, 42));
        Assert.False(tags.Add(7, TrackingKind.Open, 0, machine: false, 42));
        // A machine's open of the same message is counted apart: unique human and unique machine opens may share a message.
        Assert.True(tags.Add(7, TrackingKind.Open, 0, machine: true, 42));
        // Clicks per link, and a click is not an open.
        Assert.True(tags.Add(7, TrackingKind.Click, 5, machine: false, 42));
        Assert.False(tags.Add(7, TrackingKind.Click, 5, machine: false, 42));
        Assert.True(tags.Add(7, TrackingKind.Click, 6, machine: false, 42));
        // Another campaign, another message.
        Assert.True(tags.Add(8, TrackingKind.Open, 0, machine: false, 42));
        Assert.True(tags.Add(7, TrackingKind.Open, 0, machine: false, 43));
        Assert.Equal(6, tags.Count);
    }

    [Fact]
    public void Unsubscribes_and_hits_without_a_tag_are_not_counted_and_an_open_has_no_link()
    {
        var tags = new UniqueTags();
        Assert.False(UniqueTags.Counts(TrackingKind.Unsubscribe, 42));
        Assert.False(tags.Add(7, TrackingKind.Unsubscribe, 0, machine: false, 42));
        Assert.False(tags.Add(7, TrackingKind.Open, 0, machine: false, 0));
        Assert.False(tags.Add(7, TrackingKind.Click, 5, machine: false, 0));
        Assert.True(tags.Add(7, TrackingKind.Open, 9, machine: false, 42));
        Assert.False(tags.Add(7, TrackingKind.Open, 0, machine: false, 42));
        Assert.Equal(0, Assert.Single(tags.InKeyOrder()).LinkId);
    }

    [Fact]
    public void Tags_come_out_in_the_tables_key_order_and_are_forgotten_once_written()
    {
        var tags = new UniqueTags();
        tags.Add(8, TrackingKind.Open, 0, machine: false, 1);
        tags.Add(7, TrackingKind.Click, 6, machine: false, 1);
        tags.Add(7, TrackingKind.Click, 5, machine: true, 1);
        tags.Add(7, TrackingKind.Click, 5, machine: false, 9);
        tags.Add(7, TrackingKind.Click, 5, machine: false, uint.MaxValue);
        tags.Add(7, TrackingKind.Click, 5, machine: false, 2);
        tags.Add(7, TrackingKind.Open, 0, machine: true, 3);
        Assert.Equal(
            [
                new SeenTag(7, TrackingKind.Open, 0, true, 3),
                new SeenTag(7, TrackingKind.Click, 5, false, 2),
                new SeenTag(7, TrackingKind.Click, 5, false, 9),
                new SeenTag(7, TrackingKind.Click, 5, false, uint.MaxValue),
                new SeenTag(7, TrackingKind.Click, 5, true, 1),
                new SeenTag(7, TrackingKind.Click, 6, false, 1),
                new SeenTag(8, TrackingKind.Open, 0, false, 1),
            ],
            tags.InKeyOrder());
        tags.Clear();
        Assert.Equal(0, tags.Count);
        Assert.Empty(tags.InKeyOrder());
    }
}
