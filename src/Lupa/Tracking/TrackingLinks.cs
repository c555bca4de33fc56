using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Lupa.Domain.Tracking;
using Lupa.Mail.Templates;

namespace Lupa.Tracking;

/// <summary>What an open or click link says, once its signature checked out.</summary>
/// <param name="Kind">Open or click.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="SubscriberId">The recipient when the message was tracked individually; 0 for aggregate counting.</param>
/// <param name="SentAt">When the message was made, in Unix seconds (for "too soon after delivery").</param>
/// <param name="Tag">A random number per message, the same in all its links and in no other message: no person.</param>
/// <param name="LinkId">The link of a click; 0 for an open.</param>
public readonly record struct TrackingClaims(TrackingKind Kind, long CampaignId, long SubscriberId, uint SentAt, uint Tag, int LinkId);

/// <summary>
/// The open pixel's and the click redirect's links: <c>/t/o/{token}</c> and <c>/t/c/{token}</c>, where the token
/// is base64url of the facts (and for a click the target URL itself) followed by a truncated HMAC-SHA256 of them.
/// Checking one needs no database: the redirect goes only where the signature says, so it cannot be used as an
/// open redirect, and a link whose target or numbers were changed is refused. The key is derived from the link key
/// (<c>Lupa:Secrets:LinkKey</c>), so a tracking token can never pass for another kind of link.
/// </summary>
public sealed class TrackingLinks
{
    // kind, campaign, subscriber, sent at, tag; a click adds the link id and the URL's UTF-8 bytes.
    private const int HeaderLength = 1 + 8 + 8 + 4 + 4;
    private const int ClickHeaderLength = HeaderLength + 4;
    private const int MacLength = 16;

    /// <summary>The longest token read: a click with a URL of the longest that is tracked (2,000 characters), in UTF-8, as base64url.</summary>
    public const int MaxTokenLength = (ClickHeaderLength + 4 * 2000 + MacLength) * 4 / 3 + 4;

    private readonly byte[] _key;
    private readonly string _openBase;
    private readonly string _clickBase;

    /// <summary>Links under <paramref name="publicBase"/>, signed with a key derived from <paramref name="linkKey"/>.</summary>
    public TrackingLinks(byte[] linkKey, string publicBase)
    {
        _key = HMACSHA256.HashData(linkKey, "lupa tracking links v1"u8);
        // The base goes into HTML attributes as it is (see RecipientTracking).
        var safe = System.Net.WebUtility.HtmlEncode(publicBase.TrimEnd('/'));
        _openBase = safe + "/t/o/";
        _clickBase = safe + "/t/c/";
    }

    /// <summary>The pixel URL of a message.</summary>
    public string Open(long campaignId, long subscriberId, uint sentAt, uint tag)
    {
        Span<byte> buffer = stackalloc byte[HeaderLength + MacLength];
        WriteHeader(buffer, TrackingKind.Open, campaignId, subscriberId, sentAt, tag);
        Sign(buffer[..HeaderLength], buffer[HeaderLength..]);
        return _openBase + Base64Url.EncodeToString(buffer);
    }

    /// <summary>The click URL of one link of a message.</summary>
    public string Click(long campaignId, long subscriberId, uint sentAt, uint tag, TrackedLink link)
    {
        var urlLength = Encoding.UTF8.GetByteCount(link.Url);
        var length = ClickHeaderLength + urlLength;
        var rented = ArrayPool<byte>.Shared.Rent(length + MacLength);
        try
        {
            var buffer = rented.AsSpan(0, length + MacLength);
            WriteHeader(buffer, TrackingKind.Click, campaignId, subscriberId, sentAt, tag);
            BinaryPrimitives.WriteInt32BigEndian(buffer[HeaderLength..], link.Id);
            Encoding.UTF8.GetBytes(link.Url, buffer[ClickHeaderLength..]);
            Sign(buffer[..length], buffer[length..]);
            return _clickBase + Base64Url.EncodeToString(buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Checks a token of the kind expected and reads it; for a click also the target URL. False for anything
    /// altered, truncated, of another kind or made with another key.
    /// </summary>
    public bool TryRead(ReadOnlySpan<char> token, TrackingKind kind, out TrackingClaims claims, out string? url)
    {
        claims = default;
        url = null;
        if (token.Length is 0 or > MaxTokenLength)
            return false;
        var max = Base64Url.GetMaxDecodedLength(token.Length);
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            if (Base64Url.DecodeFromChars(token, buffer, out var consumed, out var written) != OperationStatus.Done || consumed != token.Length)
                return false;
            var header = kind == TrackingKind.Click ? ClickHeaderLength : HeaderLength;
            if (written < header + MacLength || (kind != TrackingKind.Click && written != header + MacLength) || buffer[0] != (byte)kind)
                return false;
            var payload = buffer[..(written - MacLength)];
            Span<byte> mac = stackalloc byte[32];
            HMACSHA256.HashData(_key, payload, mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..MacLength], buffer.Slice(written - MacLength, MacLength)))
                return false;
            var link = kind == TrackingKind.Click ? BinaryPrimitives.ReadInt32BigEndian(payload[HeaderLength..]) : 0;
            claims = new TrackingClaims(kind,
                BinaryPrimitives.ReadInt64BigEndian(payload[1..]),
                BinaryPrimitives.ReadInt64BigEndian(payload[9..]),
                BinaryPrimitives.ReadUInt32BigEndian(payload[17..]),
                BinaryPrimitives.ReadUInt32BigEndian(payload[21..]),
                link);
            if (kind == TrackingKind.Click)
                url = Encoding.UTF8.GetString(payload[ClickHeaderLength..]);
            return true;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteHeader(Span<byte> buffer, TrackingKind kind, long campaignId, long subscriberId, uint sentAt, uint tag)
    {
        buffer[0] = (byte)kind;
        BinaryPrimitives.WriteInt64BigEndian(buffer[1..], campaignId);
        BinaryPrimitives.WriteInt64BigEndian(buffer[9..], subscriberId);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[17..], sentAt);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[21..], tag);
    }

    private void Sign(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, payload, mac);
        mac[..MacLength].CopyTo(destination);
    }
}

/// <summary>One message's tracking: its links carry the campaign, the send time, a random tag and, only when the person is tracked individually, who they are.</summary>
public sealed class MessageTracking(TrackingLinks links, long campaignId, long subscriberId, uint sentAt) : RecipientTracking
{
    private readonly uint _tag = (uint)Random.Shared.NextInt64(1, uint.MaxValue);

    /// <inheritdoc />
    public override string ClickUrl(TrackedLink link) => links.Click(campaignId, subscriberId, sentAt, _tag, link);

    /// <inheritdoc />
    public override string OpenPixelUrl => links.Open(campaignId, subscriberId, sentAt, _tag);
}
