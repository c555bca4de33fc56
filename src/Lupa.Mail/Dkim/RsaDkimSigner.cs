using System.Collections.Concurrent;
using System.Security.Cryptography;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Lupa.Mail.Dkim;

/// <summary>
/// MimeKit's DKIM signer with rsa-sha256 done by .NET's <see cref="RSA"/> (OpenSSL on Linux) instead
/// of BouncyCastle: MimeKit still canonicalises and builds the header, OpenSSL hashes and signs about
/// ten times as fast. The BouncyCastle key given to the base class is only there to satisfy its constructor.
/// </summary>
internal sealed class RsaDkimSigner : DkimSigner, IDisposable
{
    readonly byte[] pkcs8;
    readonly int signatureSize;
    // .NET promises no thread safety for one RSA instance, so each signature borrows one of its own.
    // The pool grows to the number of threads that sign at the same time.
    readonly ConcurrentBag<RSA> idle = [];
    volatile bool disposed;

    public RsaDkimSigner(DkimKey key, string domain, string selector)
        : base(key.PrivateKey, domain, selector, DkimSignatureAlgorithm.RsaSha256)
    {
        pkcs8 = key.Pkcs8.ToArray();
        var rsa = Load();
        signatureSize = rsa.KeySize / 8;
        idle.Add(rsa);
    }

    /// <summary>A fresh context for each signature, so concurrent signing shares no hash state.</summary>
    protected override ISigner CreateSigningContext() => new Context(this);

    public void Dispose()
    {
        disposed = true;
        while (idle.TryTake(out var rsa))
            rsa.Dispose();
    }

    RSA Load()
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }

    /// <summary>The PKCS#1 v1.5 signature of a SHA-256 hash.</summary>
    internal byte[] SignHash(ReadOnlySpan<byte> hash)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var rsa = idle.TryTake(out var pooled) ? pooled : Load();
        try
        {
            return rsa.SignHash(hash, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        finally
        {
            if (disposed)
                rsa.Dispose();
            else
                idle.Add(rsa);
        }
    }

    /// <summary>The hash-then-sign state of one signature; MimeKit writes the canonical headers into it.</summary>
    sealed class Context(RsaDkimSigner owner) : ISigner
    {
        IncrementalHash? hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public string AlgorithmName => "SHA-256withRSA";

        // The key is the owner's; MimeKit's signer never initialises a context it created itself.
        public void Init(bool forSigning, ICipherParameters parameters) =>
            throw new NotSupportedException("The signing context is bound to its key when created.");

        public void Update(byte input) => Hash.AppendData([input]);

        public void BlockUpdate(byte[] input, int inOff, int inLen) => Hash.AppendData(input, inOff, inLen);

        public void BlockUpdate(ReadOnlySpan<byte> input) => Hash.AppendData(input);

        public int GetMaxSignatureSize() => owner.signatureSize;

        public byte[] GenerateSignature()
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            Hash.GetHashAndReset(digest);
            // One signature per context: release the native hash now rather than at finalisation.
            hash!.Dispose();
            hash = null;
            return owner.SignHash(digest);
        }

        public bool VerifySignature(byte[] signature) =>
            throw new NotSupportedException("This context only signs.");

        public void Reset() => Hash.GetHashAndReset();

        IncrementalHash Hash => hash ?? throw new InvalidOperationException("The signature has already been made.");
    }
}
