using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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

    /// <summary>Whether <see cref="SignatureField"/> can sign (rsa-sha256 keys; ed25519 goes through <see cref="Sign"/>).</summary>
    public bool SignsBytes => rsaSigner is not null;

    /// <summary>
    /// The DKIM-Signature field (relaxed/relaxed, rsa-sha256), CRLF-terminated, for a message Lupa wrote
    /// itself as bytes: <paramref name="headerBlock"/> is its header fields, each ending with CRLF, and
    /// <paramref name="body"/> everything after the empty line, exactly as it goes on the wire (7-bit or
    /// quoted-printable, CRLF line ends). Put the field before the others. This skips MimeKit's
    /// canonicalisation streams and its managed SHA-256, which cost more than the RSA signature itself.
    /// </summary>
    /// <exception cref="InvalidOperationException">The key is not rsa-sha256 (see <see cref="SignsBytes"/>).</exception>
    public byte[] SignatureField(ReadOnlySpan<byte> headerBlock, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (rsaSigner is null)
            throw new InvalidOperationException("Only rsa-sha256 keys sign prepared bytes.");
        var fields = HeaderFields(headerBlock);
        var signed = new List<string>(SignedHeaders.Count);
        var canonical = new ArrayBufferWriter<byte>(headerBlock.Length + 1024);
        foreach (var name in SignedHeaders)
        {
            // RFC 6376 5.4.2: of a field that occurs more than once, the last one is signed.
            (int Start, int Length)? last = null;
            foreach (var f in fields)
            {
                if (f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    last = (f.Start, f.Length);
            }
            if (last is not { } field)
                continue;
            signed.Add(name);
            RelaxedCanonicalization.AppendHeader(headerBlock.Slice(field.Start, field.Length), canonical);
        }

        var bodyHash = Convert.ToBase64String(RelaxedCanonicalization.BodyHash(body));
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var unsigned = $"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={Domain}; s={Selector};\r\n\tt={timestamp}; h={string.Join(':', signed)};\r\n\tbh={bodyHash};\r\n\tb=";
        RelaxedCanonicalization.AppendHeader(Encoding.ASCII.GetBytes(unsigned), canonical, lastField: true);
        var signature = Convert.ToBase64String(rsaSigner.SignHash(SHA256.HashData(canonical.WrittenSpan)));
        return Encoding.ASCII.GetBytes(unsigned + signature + "\r\n");
    }

    // The fields of a header block: name, and where the whole field (folding included, its final CRLF not) lies.
    private static List<(string Name, int Start, int Length)> HeaderFields(ReadOnlySpan<byte> block)
    {
        var fields = new List<(string, int, int)>(16);
        var position = 0;
        while (position < block.Length)
        {
            var start = position;
            // A field runs until a line end that is not followed by folding whitespace.
            var end = start;
            while (true)
            {
                var lf = block[end..].IndexOf((byte)'\n');
                if (lf < 0)
                {
                    end = block.Length;
                    position = block.Length;
                    break;
                }
                end += lf + 1;
                if (end >= block.Length || (block[end] != (byte)' ' && block[end] != (byte)'\t'))
                {
                    position = end;
                    end -= end - 2 >= start && block[end - 2] == (byte)'\r' ? 2 : 1;
                    break;
                }
            }
            var colon = block[start..end].IndexOf((byte)':');
            if (colon > 0)
                fields.Add((Encoding.ASCII.GetString(block.Slice(start, colon)).Trim(), start, end - start));
        }
        return fields;
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
