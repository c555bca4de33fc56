using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Lupa.Mail.Dkim;

/// <summary>
/// A sender domain's DKIM signing key: the private key we store (PKCS#8 PEM) and the public key the
/// domain publishes in DNS. Immutable, so one instance can be shared by every signer.
/// </summary>
public sealed class DkimKey
{
    /// <summary>The RSA algorithm name, as in the signature's a= tag.</summary>
    public const string RsaSha256 = "rsa-sha256";

    /// <summary>The Ed25519 algorithm name (RFC 8463), as in the signature's a= tag.</summary>
    public const string Ed25519Sha256 = "ed25519-sha256";

    // RFC 8301 forbids RSA keys under 1024 bits. Above 4096 the TXT record outgrows what DNS hosting
    // panels accept, and signing gets slow enough to matter for a campaign.
    const int MinRsaBits = 1024;
    const int MaxRsaBits = 4096;

    readonly byte[] pkcs8;

    DkimKey(string algorithm, byte[] pkcs8, byte[] publicKey, AsymmetricKeyParameter privateKey)
    {
        Algorithm = algorithm;
        this.pkcs8 = pkcs8;
        PrivateKeyPem = PemEncoding.WriteString("PRIVATE KEY", pkcs8);
        PublicKeyBase64 = Convert.ToBase64String(publicKey);
        PrivateKey = privateKey;
    }

    /// <summary><see cref="RsaSha256"/> or <see cref="Ed25519Sha256"/>.</summary>
    public string Algorithm { get; }

    /// <summary>The private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>): what the database keeps.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>
    /// The public key for the p= tag: for RSA the DER SubjectPublicKeyInfo, for Ed25519 the raw
    /// 32-byte key (RFC 8463), base64.
    /// </summary>
    public string PublicKeyBase64 { get; }

    /// <summary>
    /// The TXT record to publish at <see cref="DnsName"/>. An RSA record is longer than 255
    /// characters; DNS hosts split it into several strings, which verifiers join again.
    /// </summary>
    public string DnsTxtRecord => $"v=DKIM1; k={(Algorithm == RsaSha256 ? "rsa" : "ed25519")}; p={PublicKeyBase64}";

    /// <summary>The private key in BouncyCastle's form, which MimeKit's signer is built with.</summary>
    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The PKCS#8 DER of the private key, for loading it into .NET's <see cref="RSA"/>.</summary>
    internal ReadOnlySpan<byte> Pkcs8 => pkcs8;

    /// <summary>Where the TXT record goes: <c>{selector}._domainkey.{domain}</c>.</summary>
    public static string DnsName(string selector, string domain) => $"{selector}._domainkey.{domain}";

    /// <summary>Generates a new RSA key.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1024 or more than 4096 bits.</exception>
    public static DkimKey GenerateRsa(int bits = 2048)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, MinRsaBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, MaxRsaBits);
        using var rsa = RSA.Create(bits);
        return FromRsa(rsa);
    }

    /// <summary>Generates a new Ed25519 key.</summary>
    public static DkimKey GenerateEd25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return FromEd25519((Ed25519PrivateKeyParameters)generator.GenerateKeyPair().Private);
    }

    /// <summary>
    /// Reads a private key given by a user or read back from the database. Accepts PKCS#8 PEM, and
    /// for RSA also PKCS#1 (<c>-----BEGIN RSA PRIVATE KEY-----</c>); <see cref="PrivateKeyPem"/> is
    /// PKCS#8 either way. Never throws: a key that cannot be used gives false and a reason.
    /// </summary>
    public static bool TryFromPem(string algorithm, string? pem,
        [NotNullWhen(true)] out DkimKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (algorithm is not (RsaSha256 or Ed25519Sha256))
        {
            error = $"Unknown DKIM algorithm '{algorithm}'; use {RsaSha256} or {Ed25519Sha256}.";
            return false;
        }
        if (string.IsNullOrWhiteSpace(pem) || !PemEncoding.TryFind(pem, out var fields))
        {
            error = "The key is not in PEM form (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----).";
            return false;
        }
        var label = pem[fields.Label];
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        error = label switch
        {
            "PRIVATE KEY" => null,
            "RSA PRIVATE KEY" when algorithm == RsaSha256 => null,
            "ENCRYPTED PRIVATE KEY" => "The key is protected by a passphrase; export it without one.",
            "PUBLIC KEY" or "RSA PUBLIC KEY" => "This is a public key; the signing key is the private one.",
            "OPENSSH PRIVATE KEY" => "This is an OpenSSH key; convert it to PKCS#8 PEM.",
            _ => $"A PEM '{label}' block is not a private key for {algorithm}.",
        };
        if (error is not null)
            return false;
        key = algorithm == RsaSha256 ? ReadRsa(label, der, out error) : ReadEd25519(der, out error);
        return key is not null;
    }

    static DkimKey? ReadRsa(string label, byte[] der, out string? error)
    {
        using var rsa = RSA.Create();
        try
        {
            if (label == "RSA PRIVATE KEY")
                rsa.ImportRSAPrivateKey(der, out _);
            else
                rsa.ImportPkcs8PrivateKey(der, out _);
        }
        catch (CryptographicException)
        {
            // Also what OpenSSL says of a key whose parts do not belong together.
            error = "The key is not a valid RSA private key.";
            return null;
        }
        if (rsa.KeySize is < MinRsaBits or > MaxRsaBits)
        {
            error = $"The RSA key has {rsa.KeySize} bits; DKIM needs {MinRsaBits} to {MaxRsaBits} (2048 is usual).";
            return null;
        }
        try
        {
            error = null;
            return FromRsa(rsa);
        }
        catch (ArgumentException)
        {
            // MimeKit's signer is built with a BouncyCastle key, and BouncyCastle refuses some keys OpenSSL takes
            // (a modulus with a small factor).
            error = "The RSA key is too weak to use.";
            return null;
        }
    }

    static DkimKey? ReadEd25519(byte[] der, out string? error)
    {
        AsymmetricKeyParameter parsed;
        try
        {
            parsed = PrivateKeyFactory.CreateKey(der);
        }
        catch (Exception)
        {
            // BouncyCastle reports malformed DER with several exception types.
            error = "The key is not a valid PKCS#8 private key.";
            return null;
        }
        if (parsed is not Ed25519PrivateKeyParameters ed25519)
        {
            error = "The key is not an Ed25519 private key.";
            return null;
        }
        error = null;
        return FromEd25519(ed25519);
    }

    static DkimKey FromRsa(RSA rsa)
    {
        var der = rsa.ExportPkcs8PrivateKey();
        return new DkimKey(RsaSha256, der, rsa.ExportSubjectPublicKeyInfo(), PrivateKeyFactory.CreateKey(der));
    }

    // The RFC 8410 form, version 0 without the public key: BouncyCastle's PrivateKeyInfoFactory adds
    // the public key (RFC 5958 version 1), which OpenSSL 3.0 cannot read.
    static DkimKey FromEd25519(Ed25519PrivateKeyParameters key) =>
        new(Ed25519Sha256,
            new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), new DerOctetString(key.GetEncoded())).GetEncoded(),
            key.GeneratePublicKey().GetEncoded(), key);
}
