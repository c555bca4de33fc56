using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Lupa.Domain.Privacy;

/// <summary>What a registered recipient of personal data is (Article 19).</summary>
public static class RecipientKinds
{
    /// <summary>A processor acting for the organisation (a CRM, a print house, a call centre).</summary>
    public const string Processor = "processor";

    /// <summary>Another system of the organisation's own that holds a copy of the data.</summary>
    public const string Integration = "integration";

    /// <summary>Every kind.</summary>
    public static readonly IReadOnlyList<string> All = [Processor, Integration];

    /// <summary>True for a known kind.</summary>
    public static bool IsKnown(string? kind) => kind is Processor or Integration;
}

/// <summary>The events a recipient is told of by webhook.</summary>
public static class RecipientEvents
{
    /// <summary>The person's data was corrected (Article 16); the body carries the new values.</summary>
    public const string Rectified = "subject.rectified";

    /// <summary>The person was erased (Article 17); the body carries no address.</summary>
    public const string Erased = "subject.erased";

    /// <summary>Processing of the person's data was restricted (Article 18).</summary>
    public const string Restricted = "subject.restricted";

    /// <summary>The restriction was lifted (Article 18(3)).</summary>
    public const string RestrictionLifted = "subject.restriction_lifted";

    /// <summary>A test sent from the admin UI or the API; about nobody.</summary>
    public const string Test = "recipient.test";

    /// <summary>Every event type.</summary>
    public static readonly IReadOnlyList<string> All = [Rectified, Erased, Restricted, RestrictionLifted, Test];
}

/// <summary>
/// The signature every webhook carries, in the header <c>Lupa-Signature: t=UNIX_SECONDS,v1=HEX</c>: HMAC-SHA256 keyed
/// with the recipient's secret (its UTF-8 bytes, the <c>whsec_</c> prefix included) over the timestamp, a full stop
/// and the raw body. A receiver recomputes it over the bytes it received, compares in constant time and refuses a
/// timestamp more than <see cref="ToleranceSeconds"/> from its own clock, so a captured request cannot be replayed later.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header with the signature.</summary>
    public const string Header = "Lupa-Signature";

    /// <summary>The header with the event's id: the same on every retry, for the receiver to skip repeats.</summary>
    public const string IdHeader = "Lupa-Webhook-Id";

    /// <summary>The header with the timestamp alone (the same as t= in the signature).</summary>
    public const string TimestampHeader = "Lupa-Webhook-Timestamp";

    /// <summary>How far from the receiver's clock a timestamp may be.</summary>
    public const int ToleranceSeconds = 300;

    /// <summary>What every secret begins with.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret: the prefix and 32 random bytes in base64url.</summary>
    public static string NewSecret() => SecretPrefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The hex HMAC-SHA256 of <c>{timestamp}.{body}</c> under the secret.</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>The header value for a body sent at <paramref name="timestamp"/>.</summary>
    public static string HeaderValue(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Sign(secret, timestamp, body)}");

    /// <summary>Checks a header value as a receiver does: well formed, fresh and matching in constant time.</summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, long nowSeconds)
    {
        long? t = null;
        var signatures = new List<string>();
        foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal) && long.TryParse(part[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
                t = ts;
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
                signatures.Add(part[3..]);
        }
        if (t is not { } stamp || Math.Abs(nowSeconds - stamp) > ToleranceSeconds)
            return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, stamp, body));
        return signatures.Any(s => CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(s)));
    }

    /// <summary>
    /// The reference to a person an erasure event carries instead of the address: hex HMAC-SHA256 keyed with the
    /// recipient's secret over <c>lupa.subject:</c> and the address lower-cased. The recipient computes the same over
    /// the addresses it holds; whoever lacks the secret cannot test addresses against it, and two recipients get
    /// different values for the same person.
    /// </summary>
    public static string AddressHash(string secret, string address) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("lupa.subject:" + address.Trim().ToLowerInvariant())));
}

/// <summary>When a failed webhook is tried again: exponential backoff with jitter, up to a limit of attempts.</summary>
public static class WebhookRetry
{
    /// <summary>
    /// The wait after attempt number <paramref name="attempts"/> (1 for the first) failed: base × 2^(attempts−1), at most
    /// <paramref name="maxDelay"/>, of which a random half is taken away ("equal jitter"), so receivers that failed
    /// together are not all retried at the same instant. <paramref name="random"/> is from 0 to 1.
    /// </summary>
    public static TimeSpan Delay(int attempts, TimeSpan baseDelay, TimeSpan maxDelay, double random)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 40);
        var full = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(full / 2 + full / 2 * Math.Clamp(random, 0, 1));
    }

    /// <summary>True when a receiver's status code means it took the event.</summary>
    public static bool IsSuccess(int statusCode) => statusCode is >= 200 and <= 299;
}

/// <summary>Which webhook URLs may be registered, and which addresses they may reach.</summary>
public static class WebhookUrl
{
    /// <summary>The longest URL kept.</summary>
    public const int MaxLength = 2000;

    /// <summary>
    /// Checks a URL as given: absolute, https (or http when <paramref name="allowHttp"/>), no user name or password in
    /// it, no fragment. Returns the URL or the reason it is refused.
    /// </summary>
    public static Outcome<Uri> Parse(string? text, bool allowHttp)
    {
        var value = (text ?? "").Trim();
        if (value.Length == 0)
            return Outcome<Uri>.Fail("url", "is required");
        if (value.Length > MaxLength)
            return Outcome<Uri>.Fail("url", $"must be at most {MaxLength} characters");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.HostNameType == UriHostNameType.Unknown || string.IsNullOrEmpty(uri.Host))
            return Outcome<Uri>.Fail("url", "must be an absolute URL such as https://crm.example.com/lupa-events");
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowHttp && uri.Scheme == Uri.UriSchemeHttp))
            return Outcome<Uri>.Fail("url", allowHttp ? "must be an http or https URL" : "must be an https URL (the body can carry personal data)");
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return Outcome<Uri>.Fail("url", "must not carry a user name or password; the signature authenticates Lupa");
        if (!string.IsNullOrEmpty(uri.Fragment))
            return Outcome<Uri>.Fail("url", "must not have a fragment (#…)");
        return Outcome<Uri>.Ok(uri);
    }

    /// <summary>
    /// True for an address on the public internet; false for loopback, private, link-local, carrier-grade NAT, unique
    /// local, multicast and unspecified addresses (and IPv4 ones mapped into IPv6), which a webhook must not reach
    /// unless the operator allows private networks: otherwise an organisation could probe the operator's own network.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
            return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 169 && b[1] == 254) || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xC0) == 64) || (b[0] == 192 && b[1] == 0 && b[2] == 0) || b[0] >= 224);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (b[0] & 0xFE) == 0xFC);
        }
        return false;
    }
}
