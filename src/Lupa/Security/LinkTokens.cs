using System.Buffers.Text;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lupa.Security;

/// <summary>What a link in a mail lets its holder do.</summary>
public enum LinkPurpose : byte
{
    /// <summary>Confirm a pending subscription (/c/).</summary>
    Confirm = (byte)'c',

    /// <summary>Unsubscribe from one list (/u/).</summary>
    Unsubscribe = (byte)'u',

    /// <summary>Open the preference centre (/p/).</summary>
    Preferences = (byte)'p',

    /// <summary>Unsubscribe from every list a campaign went to (/u/): the id is the subscriber, the stamp the campaign.</summary>
    UnsubscribeCampaign = (byte)'U',

    /// <summary>Verify a data-subject request made on /privacy/{org} (/privacy/verify/): the id is the request, the stamp its receipt time.</summary>
    PrivacyVerify = (byte)'v',

    /// <summary>Read the answer to a verified access or portability request (/privacy/report/): the id is the request, time-limited.</summary>
    PrivacyReport = (byte)'r',
}

/// <summary>The facts a link carries.</summary>
public readonly record struct LinkClaims(LinkPurpose Purpose, long OrgId, long Id, long Stamp, long ExpiresAt);

/// <summary>Why a link was refused.</summary>
public enum LinkProblem
{
    /// <summary>Nothing wrong.</summary>
    None,

    /// <summary>Altered, truncated, or made with another key.</summary>
    Forged,

    /// <summary>Genuine but past its time.</summary>
    Expired,
}

/// <summary>
/// Signed links: the facts in base64url followed by a truncated HMAC-SHA256 of them, so a link
/// needs no database row and cannot be guessed or altered.
/// </summary>
public sealed class LinkTokens(byte[] key, TimeProvider clock)
{
    private const int PayloadLength = 1 + 8 + 8 + 8 + 8;
    private const int MacLength = 16;

    /// <summary>Makes a link token.</summary>
    public string Create(LinkPurpose purpose, long orgId, long id, long stamp = 0, TimeSpan? validFor = null)
    {
        Span<byte> buffer = stackalloc byte[PayloadLength + MacLength];
        buffer[0] = (byte)purpose;
        BinaryPrimitives.WriteInt64BigEndian(buffer[1..], orgId);
        BinaryPrimitives.WriteInt64BigEndian(buffer[9..], id);
        BinaryPrimitives.WriteInt64BigEndian(buffer[17..], stamp);
        var expires = validFor is null ? 0 : clock.GetUtcNow().Add(validFor.Value).ToUnixTimeSeconds();
        BinaryPrimitives.WriteInt64BigEndian(buffer[25..], expires);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, buffer[..PayloadLength], mac);
        mac[..MacLength].CopyTo(buffer[PayloadLength..]);
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>True when every character is of the base64url alphabet (the decoder throws on others).</summary>
    public static bool IsBase64UrlText(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
                return false;
        }
        return true;
    }

    /// <summary>Checks a token for a purpose and reads it.</summary>
    public LinkProblem Read(string? token, LinkPurpose purpose, out LinkClaims claims)
    {
        claims = default;
        if (string.IsNullOrEmpty(token) || token.Length > 200 || !IsBase64UrlText(token))
            return LinkProblem.Forged;
        Span<byte> buffer = stackalloc byte[PayloadLength + MacLength + 4];
        if (!Base64Url.TryDecodeFromChars(token, buffer, out var written) || written != PayloadLength + MacLength)
            return LinkProblem.Forged;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, buffer[..PayloadLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..MacLength], buffer.Slice(PayloadLength, MacLength)))
            return LinkProblem.Forged;
        if (buffer[0] != (byte)purpose)
            return LinkProblem.Forged;
        claims = new LinkClaims(
            purpose,
            BinaryPrimitives.ReadInt64BigEndian(buffer[1..]),
            BinaryPrimitives.ReadInt64BigEndian(buffer[9..]),
            BinaryPrimitives.ReadInt64BigEndian(buffer[17..]),
            BinaryPrimitives.ReadInt64BigEndian(buffer[25..]));
        if (claims.ExpiresAt != 0 && clock.GetUtcNow().ToUnixTimeSeconds() > claims.ExpiresAt)
            return LinkProblem.Expired;
        return LinkProblem.None;
    }
}
