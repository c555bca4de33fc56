using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Cryptography;

namespace Lupa.Mail.Dkim;

/// <summary>
/// Signs a sender domain's outgoing messages with DKIM (relaxed/relaxed). Build one per domain,
/// selector and key and share it: <see cref="Sign"/> may be called from many threads at once.
/// Whether a message is signed at all is the caller's choice.
/// </summary>
public sealed partial class MessageSigner : IDisposable
{
    /// <summary>
    /// The headers a signature covers, those of them the message has. They are the ones a
    /// recipient's decision rests on (who, what, the unsubscribe) and those that say how to read the body.
    /// </summary>
    public static IReadOnlyList<string> SignedHeaders { get; } =
    [
        "From", "To", "Subject", "Date", "Message-ID",
        "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Feedback-ID",
        "MIME-Version", "Content-Type",
    ];

    readonly DkimSigner signer;
    readonly RsaDkimSigner? rsaSigner;

    /// <summary>Prepares signing for <paramref name="domain"/> with the key published at <paramref name="selector"/>.</summary>
    /// <param name="domain">The d= domain, in ASCII (an internationalised name as its xn-- form).</param>
    /// <param name="selector">The s= selector.</param>
    /// <param name="key">The private key.</param>
    /// <exception cref="ArgumentException">The domain or the selector is not a DNS name.</exception>
    public MessageSigner(string domain, string selector, DkimKey key)
    {
        // Both go verbatim into the DKIM-Signature header: a ';' or a line break would forge tags.
        if (!DnsNamePattern().IsMatch(domain))
            throw new ArgumentException($"'{domain}' is not a domain name in ASCII.", nameof(domain));
        if (!DnsNamePattern().IsMatch(selector))
            throw new ArgumentException($"'{selector}' is not a DKIM selector.", nameof(selector));
        if (key.Algorithm == DkimKey.RsaSha256)
            signer = rsaSigner = new RsaDkimSigner(key, domain, selector);
        else
            signer = new DkimSigner(key.PrivateKey, domain, selector, DkimSignatureAlgorithm.Ed25519Sha256);
        signer.HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
        signer.BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed;
    }

    /// <summary>The d= domain.</summary>
    public string Domain => signer.Domain;

    /// <summary>The s= selector.</summary>
    public string Selector => signer.Selector;

    /// <summary>
    /// Adds a DKIM-Signature header. Prepares the message for 7-bit transport first, so no later
    /// step changes the transfer encoding of a signed body. Change nothing signed afterwards.
    /// </summary>
    public void Sign(MimeMessage message)
    {
        message.Prepare(EncodingConstraint.SevenBit);
        signer.Sign(message, HeadersToSign(message));
    }

    /// <summary>Those of <see cref="SignedHeaders"/> the message has.</summary>
    public static IList<string> HeadersToSign(MimeMessage message)
    {
        var present = new List<string>(SignedHeaders.Count);
        foreach (var name in SignedHeaders)
        {
            // MimeKit keeps the top-level Content-* headers on the body, and reads them from there when signing.
            var headers = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? message.Body?.Headers : message.Headers;
            if (headers is not null && headers.Contains(name))
                present.Add(name);
        }
        return present;
    }

    /// <summary>Releases the RSA keys held for signing.</summary>
    public void Dispose() => rsaSigner?.Dispose();

    // Dot-separated labels of letters, digits, '-' and '_' (selectors in the wild use '_').
    [GeneratedRegex(@"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$")]
    private static partial Regex DnsNamePattern();
}
