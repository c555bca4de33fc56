using Lupa.Security;
using Microsoft.Extensions.Options;

namespace Lupa.Hosting;

/// <summary>The absolute URLs Lupa puts in mail and on pages.</summary>
public sealed class PublicLinks(IOptions<LupaOptions> options, LinkTokens tokens)
{
    private readonly string _base = options.Value.PublicUrl.TrimEnd('/');

    /// <summary>The public base URL without a trailing slash.</summary>
    public string Base => _base;

    /// <summary>The host name of the public URL, for Message-IDs and default addresses.</summary>
    public string Host => Uri.TryCreate(_base, UriKind.Absolute, out var u) ? u.Host : "localhost";

    /// <summary>A domain usable in addresses: the public host, or lupa.localhost when it has no dot.</summary>
    public string MailDomain => Host.Contains('.', StringComparison.Ordinal) && !System.Net.IPAddress.TryParse(Host, out _) ? Host : "lupa.localhost";

    /// <summary>The confirmation link of a pending request.</summary>
    public string Confirm(long orgId, long subscriptionId, long requestAt, TimeSpan validFor) =>
        $"{_base}/c/{tokens.Create(LinkPurpose.Confirm, orgId, subscriptionId, requestAt, validFor)}";

    /// <summary>The one-click unsubscribe link of a subscription.</summary>
    public string Unsubscribe(long orgId, long subscriptionId) =>
        $"{_base}/u/{tokens.Create(LinkPurpose.Unsubscribe, orgId, subscriptionId)}";

    /// <summary>The preference centre of a subscriber.</summary>
    public string Preferences(long orgId, long subscriberId) =>
        $"{_base}/p/{tokens.Create(LinkPurpose.Preferences, orgId, subscriberId)}";

    /// <summary>An organisation's page for data-subject requests, in a language when one is given.</summary>
    public string PrivacyRequests(string orgSlug, string? language = null) =>
        $"{_base}/privacy/{Uri.EscapeDataString(orgSlug)}" + (Lupa.Domain.Languages.IsSupported(language) ? "?lang=" + language : "");

    /// <summary>The verification link of a self-service data-subject request.</summary>
    public string PrivacyVerify(long orgId, long requestId, long receivedAt, TimeSpan validFor) =>
        $"{_base}/privacy/verify/{tokens.Create(LinkPurpose.PrivacyVerify, orgId, requestId, receivedAt, validFor)}";

    /// <summary>The time-limited link to the answer of an access or portability request.</summary>
    public string PrivacyReport(long orgId, long requestId, TimeSpan validFor) =>
        $"{_base}/privacy/report/{tokens.Create(LinkPurpose.PrivacyReport, orgId, requestId, 0, validFor)}";

    /// <summary>An organisation's privacy notice.</summary>
    public string Notice(string orgSlug) => $"{_base}/notice/{Uri.EscapeDataString(orgSlug)}";
}
