using System.Net;
using System.Security.Cryptography;
using System.Text;
using Lupa.Domain.Privacy;

namespace Lupa.Domain.Tests;

/// <summary>The rules of Article 19's webhooks (signature, retries, URLs) and of Article 33's 72-hour clock.</summary>
public sealed class RecipientAndBreachRulesTests
{
    private const string Secret = "whsec_test-secret";

    [Fact]
    public void Signature_is_hmac_sha256_of_timestamp_dot_body_and_verifies_only_fresh_and_unchanged()
    {
        var body = Encoding.UTF8.GetBytes("{\"id\":\"evt_1\",\"type\":\"subject.erased\"}");
        var header = WebhookSignature.HeaderValue(Secret, 1_767_225_600, body);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("1767225600." + Encoding.UTF8.GetString(body))));
        Assert.Equal("t=1767225600,v1=" + expected, header);
        Assert.True(WebhookSignature.Verify(Secret, header, body, 1_767_225_600 + 299));
        Assert.False(WebhookSignature.Verify(Secret, header, body, 1_767_225_600 + 301)); // too old: a replay
        Assert.False(WebhookSignature.Verify(Secret, header, body, 1_767_225_600 - 301));
        Assert.False(WebhookSignature.Verify("whsec_other", header, body, 1_767_225_600));
        Assert.False(WebhookSignature.Verify(Secret, header, [.. body, (byte)' '], 1_767_225_600));
        Assert.False(WebhookSignature.Verify(Secret, header.Replace("t=1767225600", "t=1767225601", StringComparison.Ordinal), body, 1_767_225_600));
        Assert.False(WebhookSignature.Verify(Secret, null, body, 1_767_225_600));
        Assert.False(WebhookSignature.Verify(Secret, "v1=" + expected, body, 1_767_225_600));
        // Any of several v1 values may match (a change of secret).
        Assert.True(WebhookSignature.Verify(Secret, "t=1767225600,v1=00ff,v1=" + expected, body, 1_767_225_600));
    }

    [Fact]
    public void A_new_secret_is_random_and_prefixed_and_the_address_hash_is_keyed_and_case_blind()
    {
        var a = WebhookSignature.NewSecret();
        Assert.StartsWith("whsec_", a);
        Assert.Equal(6 + 43, a.Length);
        Assert.NotEqual(a, WebhookSignature.NewSecret());
        Assert.Equal(WebhookSignature.AddressHash(Secret, "Maija@Example.fi"), WebhookSignature.AddressHash(Secret, " maija@example.fi "));
        Assert.NotEqual(WebhookSignature.AddressHash(Secret, "maija@example.fi"), WebhookSignature.AddressHash("whsec_other", "maija@example.fi"));
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("maija@example.fi"))), WebhookSignature.AddressHash(Secret, "maija@example.fi"));
    }

    [Theory]
    [InlineData(1, 0.0, 15)]
    [InlineData(1, 1.0, 30)]
    [InlineData(2, 0.0, 30)]
    [InlineData(2, 1.0, 60)]
    [InlineData(4, 0.5, 180)]
    [InlineData(20, 1.0, 3600)] // capped
    [InlineData(20, 0.0, 1800)]
    public void Retry_waits_double_with_equal_jitter_up_to_the_cap(int attempts, double random, double seconds) =>
        Assert.Equal(seconds, WebhookRetry.Delay(attempts, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), random).TotalSeconds, 3);

    [Theory]
    [InlineData(200, true)]
    [InlineData(204, true)]
    [InlineData(299, true)]
    [InlineData(301, false)]
    [InlineData(400, false)]
    [InlineData(500, false)]
    public void Only_2xx_delivers(int status, bool delivered) => Assert.Equal(delivered, WebhookRetry.IsSuccess(status));

    [Theory]
    [InlineData("https://crm.example.com/hook", false, true)]
    [InlineData("http://crm.example.com/hook", false, false)]
    [InlineData("http://crm.example.com/hook", true, true)]
    [InlineData("ftp://crm.example.com/hook", true, false)]
    [InlineData("https://user:pw@crm.example.com/hook", false, false)]
    [InlineData("https://crm.example.com/hook#x", false, false)]
    [InlineData("/hook", false, false)]
    [InlineData("", false, false)]
    [InlineData("crm.example.com", false, false)]
    public void Webhook_urls_are_absolute_https_without_credentials(string url, bool allowHttp, bool ok) =>
        Assert.Equal(ok, WebhookUrl.Parse(url, allowHttp).IsOk);

    [Theory]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void Private_and_local_addresses_are_not_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrl.IsPublic(IPAddress.Parse(address)));

    private static readonly DateTimeOffset Discovered = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, "pending", null, BreachClockState.Running)]
    [InlineData(59, "pending", null, BreachClockState.Running)]
    [InlineData(60, "pending", null, BreachClockState.DueSoon)]
    [InlineData(72, "pending", null, BreachClockState.DueSoon)] // the last instant is still in time
    [InlineData(73, "pending", null, BreachClockState.Overdue)]
    [InlineData(100, "notified", 71.0, BreachClockState.Notified)]
    [InlineData(100, "notified", 72.5, BreachClockState.NotifiedLate)]
    [InlineData(100, "not_required", null, BreachClockState.NotRequired)]
    public void The_clock_runs_72_real_hours_from_discovery(double hoursAfter, string status, double? notifiedAfter, BreachClockState state) =>
        Assert.Equal(state, BreachClock.State(Discovered, status, notifiedAfter is { } n ? Discovered.AddHours(n) : null, Discovered.AddHours(hoursAfter)));

    [Theory]
    [InlineData(70.5, "70 h 30 min left")]
    [InlineData(0.75, "45 min left")]
    [InlineData(-5.05, "5 h 3 min overdue")]
    public void The_time_left_in_words(double hours, string words) =>
        Assert.Equal(words, BreachClock.Words(TimeSpan.FromHours(hours)));

    [Fact]
    public void The_deadline_is_discovery_plus_72_hours_over_a_weekend_and_a_clock_change()
    {
        // Discovered on Friday 27 March 2026 in Helsinki; summer time starts on Sunday 29 March: still 72 real hours.
        var friday = new DateTimeOffset(2026, 3, 27, 16, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 14, 0, 0, TimeSpan.Zero), BreachClock.DueAt(friday).ToUniversalTime());
        Assert.True(BreachClock.IsLate(friday, friday.AddHours(72).AddSeconds(1)));
        Assert.False(BreachClock.IsLate(friday, friday.AddHours(72)));
    }
}
