using System.Buffers;

namespace Lupa.Domain.Tracking;

/// <summary>
/// Tells an open or click that a machine made (a mailbox provider fetching images ahead of the reader, a link
/// scanner of a mail gateway, a preview bot) from one a person made, where the request shows it. What cannot be
/// told stays human: these are signs, not proof, and the report says so.
/// </summary>
public static class MachineSigns
{
    /// <summary>Sooner than this after the message left Lupa, no person has opened it or clicked in it yet.</summary>
    public static readonly TimeSpan TooSoon = TimeSpan.FromSeconds(2);

    /// <summary>Apple Mail Privacy Protection fetches every image on delivery with this user agent and nothing more.</summary>
    private const string ApplePrivacyProxy = "Mozilla/5.0";

    // Substrings of user agents that only machines send: image proxies that fetch on delivery, the link scanners of
    // mail gateways, link preview bots and HTTP libraries.
    private static readonly SearchValues<string> MachineAgents = SearchValues.Create(
        [
            "GoogleImageProxy", "YahooMailProxy", "ggpht.com", "Barracuda", "Mimecast", "Proofpoint", "MessageLabs", "Symantec",
            "Forcepoint", "TrendMicro", "Trend Micro", "ZScaler", "IronPort", "Cisco", "FortiGuard", "Sophos", "Bitdefender",
            "urldefense", "SafeLinks", "Safe Links", "bot", "crawler", "spider", "preview", "scanner", "HeadlessChrome",
            "facebookexternalhit", "WhatsApp", "SkypeUriPreview", "python-", "curl/", "Wget", "Go-http-client", "Java/",
            "okhttp", "Apache-HttpClient", "libwww", "axios", "node-fetch", "PhantomJS",
        ],
        StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a user agent only machines send, or none at all.</summary>
    public static bool IsMachineAgent(ReadOnlySpan<char> userAgent)
    {
        userAgent = userAgent.Trim();
        return userAgent.IsEmpty || userAgent.SequenceEqual(ApplePrivacyProxy) || userAgent.ContainsAny(MachineAgents);
    }

    /// <summary>
    /// Whether one request looks made by a machine: a HEAD request (a scanner checking the link), a machine's user
    /// agent, or less than <see cref="TooSoon"/> after the message was sent (<paramref name="sentAtSeconds"/> 0: unknown).
    /// </summary>
    public static bool IsMachine(bool head, ReadOnlySpan<char> userAgent, long sentAtSeconds, long nowMs) =>
        head || IsMachineAgent(userAgent) || (sentAtSeconds > 0 && nowMs - sentAtSeconds * 1000 < TooSoon.TotalMilliseconds);
}
