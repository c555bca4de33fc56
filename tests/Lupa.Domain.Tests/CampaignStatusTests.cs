using Lupa.Domain.Campaigns;

namespace Lupa.Domain.Tests;

public sealed class CampaignStatusTests
{
    [Theory]
    [InlineData("draft", CampaignStatus.Action.Start, "sending")]
    [InlineData("scheduled", CampaignStatus.Action.Start, "sending")]
    [InlineData("draft", CampaignStatus.Action.Schedule, "scheduled")]
    [InlineData("scheduled", CampaignStatus.Action.Unschedule, "draft")]
    [InlineData("sending", CampaignStatus.Action.Pause, "paused")]
    [InlineData("paused", CampaignStatus.Action.Resume, "sending")]
    [InlineData("sending", CampaignStatus.Action.Cancel, "cancelled")]
    [InlineData("paused", CampaignStatus.Action.Cancel, "cancelled")]
    [InlineData("draft", CampaignStatus.Action.Edit, "draft")]
    public void Allowed_actions_lead_to_their_status(string from, CampaignStatus.Action action, string to) =>
        Assert.Equal(to, CampaignStatus.After(from, action).Value);

    [Theory]
    [InlineData("sending", CampaignStatus.Action.Edit)]
    [InlineData("sent", CampaignStatus.Action.Cancel)]
    [InlineData("cancelled", CampaignStatus.Action.Resume)]
    [InlineData("draft", CampaignStatus.Action.Pause)]
    [InlineData("sending", CampaignStatus.Action.Start)]
    [InlineData("sent", CampaignStatus.Action.Start)]
    [InlineData("paused", CampaignStatus.Action.Schedule)]
    public void Other_actions_are_refused_with_a_reason(string from, CampaignStatus.Action action)
    {
        var r = CampaignStatus.After(from, action);
        Assert.False(r.IsOk);
        Assert.Contains(from, r.Reason);
    }

    [Fact]
    public void A_local_time_in_helsinki_is_read_with_the_offset_of_that_date()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.FromHours(2)), CampaignStatus.ScheduledTime("2026-12-01T09:00", "Europe/Helsinki").Value);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.FromHours(3)), CampaignStatus.ScheduledTime("2026-06-01T09:00", "Europe/Helsinki").Value);
    }

    [Fact]
    public void A_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_earlier()
    {
        // 29 March 2026: Helsinki clocks go from 03:00 to 04:00.
        Assert.False(CampaignStatus.ScheduledTime("2026-03-29T03:30", "Europe/Helsinki").IsOk);
        // 25 October 2026: 03:30 happens twice; the first is at +03:00.
        Assert.Equal(TimeSpan.FromHours(3), CampaignStatus.ScheduledTime("2026-10-25T03:30", "Europe/Helsinki").Value.Offset);
    }

    [Theory]
    [InlineData("2026-12-01T09:00", null)]
    [InlineData("2026-12-01T09:00+02:00", "Europe/Helsinki")]
    [InlineData("tomorrow", "Europe/Helsinki")]
    [InlineData("2026-12-01T09:00", "Mars/Olympus")]
    [InlineData("", "Europe/Helsinki")]
    public void Unclear_times_are_refused(string at, string? zone) => Assert.False(CampaignStatus.ScheduledTime(at, zone).IsOk);

    [Fact]
    public void A_time_with_an_offset_needs_no_zone() =>
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 7, 0, 0, TimeSpan.Zero), CampaignStatus.ScheduledTime("2026-12-01T09:00+02:00", null).Value.ToUniversalTime());
}

public sealed class ReturnPathTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_return_address_names_campaign_and_subscriber_and_reads_back()
    {
        var address = ReturnPath.For(Key, 12, 345, "news.acme.test");
        Assert.StartsWith("bounce+c12-s345-", address);
        Assert.True(ReturnPath.TryRead(Key, address, out var c, out var s));
        Assert.Equal((12L, 345L), (c, s));
    }

    [Theory]
    [InlineData("bounce+c12-s346-0000000000@x.test")]
    [InlineData("someone@x.test")]
    [InlineData("bounce+c12-s@x.test")]
    [InlineData("bounce+cx-s1-00@x.test")]
    public void A_forged_or_foreign_address_is_refused(string address) => Assert.False(ReturnPath.TryRead(Key, address, out _, out _));

    [Fact]
    public void Another_key_does_not_read_it() =>
        Assert.False(ReturnPath.TryRead(new byte[32], ReturnPath.For(Key, 1, 2, "x.test"), out _, out _));

    [Fact]
    public void The_message_id_is_the_same_on_every_try() =>
        Assert.Equal(ReturnPath.MessageId(Key, 5, 6, "x.test"), ReturnPath.MessageId(Key, 5, 6, "x.test"));
}
