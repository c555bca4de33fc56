using System.Diagnostics;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using Lupa.Mail;
using Lupa.Mail.Dkim;
using MimeKit;

namespace Lupa.Domain.Tests.Mail;

/// <summary>
/// Signatures are checked by dkimpy (Debian's python3-dkim), an implementation that shares nothing
/// with MimeKit, against the TXT record <see cref="DkimKey.DnsTxtRecord"/> gives.
/// </summary>
public sealed class DkimSigningTests
{
    const string Domain = "news.acme.test";
    const string Selector = "lupa2026";

    // Generating RSA keys is slow enough to do once.
    static readonly DkimKey Rsa = DkimKey.GenerateRsa();
    static readonly DkimKey Ed25519 = DkimKey.GenerateEd25519();

    static DkimKey KeyFor(string algorithm) => algorithm == DkimKey.RsaSha256 ? Rsa : Ed25519;

    [Theory]
    [InlineData(DkimKey.RsaSha256)]
    [InlineData(DkimKey.Ed25519Sha256)]
    public void A_signed_campaign_mail_verifies_and_any_change_breaks_it(string algorithm)
    {
        var key = KeyFor(algorithm);
        using var signer = new MessageSigner(Domain, Selector, key);
        var message = Campaign();
        signer.Sign(message);
        var signed = MailComposer.ToBytes(message);

        var body = OneByteChanged(signed, "bodymarker", inHeader: false);
        var unsubscribe = OneByteChanged(signed, "tok3n", inHeader: true);

        Assert.Equal(["True", "False", "False"], Verify(key, signed, body, unsubscribe));
    }

    [Theory]
    [InlineData(DkimKey.RsaSha256)]
    [InlineData(DkimKey.Ed25519Sha256)]
    public void The_signature_names_the_domain_selector_algorithm_and_relaxed_canonicalisation(string algorithm)
    {
        using var signer = new MessageSigner(Domain, Selector, KeyFor(algorithm));
        var message = Campaign();
        signer.Sign(message);

        var tags = Tags(message);
        Assert.Equal(algorithm, tags["a"]);
        Assert.Equal(Domain, tags["d"]);
        Assert.Equal(Selector, tags["s"]);
        Assert.Equal("relaxed/relaxed", tags["c"]);
        Assert.Equal("from:to:subject:date:message-id:list-unsubscribe:list-unsubscribe-post:mime-version:content-type", tags["h"]);
    }

    [Fact]
    public void Only_headers_the_message_has_are_signed()
    {
        using var signer = new MessageSigner(Domain, Selector, Rsa);
        var message = MailComposer.Compose(new MailSpec
        {
            FromAddress = "info@" + Domain, To = "kim@example.org", Subject = "Plain",
            Text = "Just text.", MessageIdDomain = Domain,
        });
        signer.Sign(message);

        Assert.Equal("from:to:subject:date:message-id:mime-version:content-type", Tags(message)["h"]);
        Assert.Equal(["True"], Verify(Rsa, MailComposer.ToBytes(message)));
    }

    [Theory]
    [InlineData(DkimKey.RsaSha256)]
    [InlineData(DkimKey.Ed25519Sha256)]
    public void One_signer_signs_on_many_threads_at_once(string algorithm)
    {
        var key = KeyFor(algorithm);
        using var signer = new MessageSigner(Domain, Selector, key);
        var messages = new byte[48][];
        Parallel.For(0, messages.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var message = Campaign($"reader{i}@example.org");
            signer.Sign(message);
            messages[i] = MailComposer.ToBytes(message);
        });

        Assert.All(Verify(key, messages), result => Assert.Equal("True", result));
    }

    [Theory]
    [InlineData("acme.test;x=1")]
    [InlineData("acme.test\r\nBcc: x@y.test")]
    [InlineData("")]
    [InlineData("bücher.test")]
    public void A_domain_that_could_forge_signature_tags_is_refused(string domain)
    {
        Assert.Throws<ArgumentException>(() => new MessageSigner(domain, Selector, Ed25519));
        Assert.Throws<ArgumentException>(() => new MessageSigner(Domain, domain, Ed25519));
    }

    /// <summary>A multipart/alternative mail with non-ASCII names and subject, 10 KB of HTML and RFC 8058 headers.</summary>
    static MimeMessage Campaign(string to = "juergen@example.org")
    {
        var html = new StringBuilder("<html><body><h1>Grüße aus Köln</h1>");
        while (html.Length < 10 * 1024)
            html.Append("<p>Unser Frühjahrssortiment ist da: Äpfel, Birnen und Brötchen – jetzt 20 % günstiger. «Très bien!»</p>\n");
        html.Append("</body></html>");
        return MailComposer.Compose(new MailSpec
        {
            FromName = "Bäckerei Çağrı & Söhne",
            FromAddress = "info@" + Domain,
            ToName = "Jürgen Müller-Lüdenscheidt",
            To = to,
            Subject = "Grüße aus Köln – Ihr Newsletter für März mit einem Betreff, der lang genug zum Falten ist 🌷",
            Text = "Hallo Jürgen,\nbodymarker\nunser Frühjahrssortiment ist da.\n",
            Html = html.ToString(),
            Language = "de",
            UnsubscribeUrl = "https://lupa.acme.test/u/tok3n",
            UnsubscribeMailto = "mailto:unsubscribe@" + Domain + "?subject=tok3n",
            MessageIdDomain = Domain,
        });
    }

    /// <summary>A copy of the message with the first byte of <paramref name="marker"/> changed, in the header block or the body.</summary>
    static byte[] OneByteChanged(byte[] message, string marker, bool inHeader)
    {
        var text = Encoding.ASCII.GetString(message);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var at = inHeader ? text.IndexOf(marker, StringComparison.Ordinal) : text.IndexOf(marker, headerEnd, StringComparison.Ordinal);
        Assert.True(at >= 0 && (at < headerEnd) == inHeader, $"'{marker}' not found where expected");
        var copy = (byte[])message.Clone();
        copy[at] ^= 0x20; // flips the letter's case
        return copy;
    }

    static Dictionary<string, string> Tags(MimeMessage message) =>
        (message.Headers[HeaderId.DkimSignature] ?? throw new InvalidOperationException("not signed"))
            .Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(tag => tag.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => string.Concat(pair[1].Where(c => !char.IsWhiteSpace(c))));

    /// <summary>What dkimpy says of each message ("True" or "False"), asking only our TXT record.</summary>
    internal static string[] Verify(DkimKey key, params byte[][] messages)
    {
        var dir = Directory.CreateTempSubdirectory("lupa-dkim-");
        try
        {
            // Debian's python3-dkim is installed for the system interpreter, not for a python3 earlier on PATH.
            var start = new ProcessStartInfo(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mail", "dkim_verify.py"));
            start.ArgumentList.Add(DkimKey.DnsName(Selector, Domain));
            start.ArgumentList.Add(key.DnsTxtRecord);
            for (var i = 0; i < messages.Length; i++)
            {
                var path = Path.Combine(dir.FullName, $"{i}.eml");
                File.WriteAllBytes(path, messages[i]);
                start.ArgumentList.Add(path);
            }
            using var python = Process.Start(start)!;
            var error = python.StandardError.ReadToEndAsync();
            var output = python.StandardOutput.ReadToEnd();
            python.WaitForExit();
            Assert.True(python.ExitCode == 0, $"dkim_verify.py failed (is python3-dkim installed?): {error.Result}");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

public sealed class DkimKeyTests
{
    static readonly DkimKey Rsa = DkimKey.GenerateRsa();

    [Fact]
    public void An_rsa_key_survives_its_pem()
    {
        Assert.True(DkimKey.TryFromPem(DkimKey.RsaSha256, Rsa.PrivateKeyPem, out var read, out var error), error);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", Rsa.PrivateKeyPem);
        Assert.Equal(Rsa.PrivateKeyPem, read.PrivateKeyPem);
        Assert.Equal(Rsa.PublicKeyBase64, read.PublicKeyBase64);
        Assert.Equal(DkimKey.RsaSha256, read.Algorithm);
    }

    [Fact]
    public void An_ed25519_key_survives_its_pem()
    {
        var key = DkimKey.GenerateEd25519();
        Assert.True(DkimKey.TryFromPem(DkimKey.Ed25519Sha256, key.PrivateKeyPem, out var read, out var error), error);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", key.PrivateKeyPem);
        Assert.Equal(key.PrivateKeyPem, read.PrivateKeyPem);
        Assert.Equal(key.PublicKeyBase64, read.PublicKeyBase64);
    }

    [Fact]
    public void An_ed25519_pem_is_the_rfc_8410_form_openssl_reads()
    {
        var pem = DkimKey.GenerateEd25519().PrivateKeyPem;
        var der = Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]);
        // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }
        Assert.Equal("302E020100300506032B657004220420", Convert.ToHexString(der, 0, 16));
        Assert.Equal(48, der.Length);
    }

    [Fact]
    public void A_pkcs1_rsa_key_is_read_and_kept_as_pkcs8()
    {
        using var rsa = RSA.Create(2048);
        Assert.True(DkimKey.TryFromPem(DkimKey.RsaSha256, rsa.ExportRSAPrivateKeyPem(), out var read, out var error), error);
        Assert.Equal(rsa.ExportPkcs8PrivateKeyPem(), read.PrivateKeyPem);
    }

    [Fact]
    public void The_dns_records_are_what_rfc_6376_and_8463_ask_for()
    {
        Assert.Equal("s1._domainkey.acme.test", DkimKey.DnsName("s1", "acme.test"));

        Assert.Equal($"v=DKIM1; k=rsa; p={Rsa.PublicKeyBase64}", Rsa.DnsTxtRecord);
        using var published = RSA.Create();
        published.ImportSubjectPublicKeyInfo(Convert.FromBase64String(Rsa.PublicKeyBase64), out _);
        Assert.Equal(2048, published.KeySize);

        var ed25519 = DkimKey.GenerateEd25519();
        Assert.Equal($"v=DKIM1; k=ed25519; p={ed25519.PublicKeyBase64}", ed25519.DnsTxtRecord);
        Assert.Equal(32, Convert.FromBase64String(ed25519.PublicKeyBase64).Length);
    }

    public static TheoryData<string, string?, string> Unusable => new()
    {
        { DkimKey.RsaSha256, null, "not in PEM form" },
        { DkimKey.RsaSha256, "", "not in PEM form" },
        { DkimKey.RsaSha256, "not a key", "not in PEM form" },
        { DkimKey.RsaSha256, "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----", "not in PEM form" },
        { DkimKey.RsaSha256, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a valid RSA private key" },
        { DkimKey.Ed25519Sha256, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a valid PKCS#8" },
        { DkimKey.RsaSha256, Truncated(Rsa.PrivateKeyPem), "not a valid RSA private key" },
        { DkimKey.RsaSha256, DkimKey.GenerateEd25519().PrivateKeyPem, "not a valid RSA private key" },
        { DkimKey.Ed25519Sha256, Rsa.PrivateKeyPem, "not an Ed25519 private key" },
        { DkimKey.Ed25519Sha256, RsaPkcs1(Rsa), "not a private key for ed25519" },
        { "rsa-sha1", Rsa.PrivateKeyPem, "Unknown DKIM algorithm" },
        { DkimKey.RsaSha256, PemEncoding.WriteString("PUBLIC KEY", Convert.FromBase64String(Rsa.PublicKeyBase64)), "public key" },
        { DkimKey.RsaSha256, SmallRsa(), "512 bits" },
        { DkimKey.RsaSha256, EncryptedRsa(), "passphrase" },
        { DkimKey.RsaSha256, RsaWithWrongModulus(), "not a valid RSA private key" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void An_unusable_key_gives_a_reason_not_an_exception(string algorithm, string? pem, string reason)
    {
        Assert.False(DkimKey.TryFromPem(algorithm, pem, out var key, out var error));
        Assert.Null(key);
        Assert.Contains(reason, error);
    }

    static string Truncated(string pem)
    {
        var der = Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]);
        return PemEncoding.WriteString("PRIVATE KEY", der.AsSpan(0, der.Length / 2));
    }

    static string RsaPkcs1(DkimKey key)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.PrivateKeyPem);
        return rsa.ExportRSAPrivateKeyPem();
    }

    static string SmallRsa()
    {
        using var rsa = RSA.Create(512);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    static string EncryptedRsa()
    {
        using var rsa = RSA.Create(1024);
        return rsa.ExportEncryptedPkcs8PrivateKeyPem("secret",
            new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
    }

    /// <summary>A well-formed PKCS#1 key whose modulus is another key's, not the product of its primes.</summary>
    static string RsaWithWrongModulus()
    {
        using var rsa = RSA.Create(2048);
        using var other = RSA.Create(2048);
        var p = rsa.ExportParameters(includePrivateParameters: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            foreach (var part in new[] { other.ExportParameters(false).Modulus, p.Exponent, p.D, p.P, p.Q, p.DP, p.DQ, p.InverseQ })
                writer.WriteIntegerUnsigned(part);
        }
        return PemEncoding.WriteString("RSA PRIVATE KEY", writer.Encode());
    }
}
