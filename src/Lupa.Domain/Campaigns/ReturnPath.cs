using System.Security.Cryptography;
using System.Text;

namespace Lupa.Domain.Campaigns;

/// <summary>
/// The VERP return address of a campaign message: <c>bounce+c{campaign}-s{subscriber}-{mac}@domain</c>.
/// A bounce names the campaign and the recipient without a database look-up, and the short keyed MAC
/// stops anyone from forging bounces that would suppress other people.
/// </summary>
public static class ReturnPath
{
    private const string Prefix = "bounce+c";

    /// <summary>The return address for one recipient of one campaign.</summary>
    public static string For(byte[] key, long campaignId, long subscriberId, string domain) =>
        $"{Prefix}{campaignId}-s{subscriberId}-{Mac(key, campaignId, subscriberId)}@{domain}";

    /// <summary>Reads a return address back; false when it is not one of ours or its MAC is wrong.</summary>
    public static bool TryRead(byte[] key, string address, out long campaignId, out long subscriberId)
    {
        campaignId = subscriberId = 0;
        var at = address.LastIndexOf('@');
        var local = at < 0 ? address : address[..at];
        if (!local.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return false;
        var parts = local[Prefix.Length..].Split('-');
        if (parts.Length != 3 || parts[1].Length < 2 || (parts[1][0] != 's' && parts[1][0] != 'S')
            || !long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c)
            || !long.TryParse(parts[1].AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s))
            return false;
        var expected = Mac(key, c, s);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts[2].ToLowerInvariant())))
            return false;
        campaignId = c;
        subscriberId = s;
        return true;
    }

    /// <summary>
    /// The stable Message-ID (without angle brackets) of one recipient's message of a campaign: the
    /// same on every try, so a resend after a crash is recognisable as the same message.
    /// </summary>
    public static string MessageId(byte[] key, long campaignId, long subscriberId, string domain) =>
        $"c{campaignId}.s{subscriberId}.{Mac(key, campaignId, subscriberId)}@{domain}";

    /// <summary>
    /// Reads a campaign message's Message-ID back (with or without angle brackets), as it comes back
    /// inside a complaint or a bounce; false when it is not one of ours or its MAC is wrong.
    /// </summary>
    public static bool TryReadMessageId(byte[] key, string messageId, out long campaignId, out long subscriberId)
    {
        campaignId = subscriberId = 0;
        var id = messageId.Trim().Trim('<', '>');
        var at = id.LastIndexOf('@');
        var local = at < 0 ? id : id[..at];
        var parts = local.Split('.');
        if (parts.Length != 3 || parts[0].Length < 2 || parts[1].Length < 2
            || (parts[0][0] != 'c' && parts[0][0] != 'C') || (parts[1][0] != 's' && parts[1][0] != 'S')
            || !long.TryParse(parts[0].AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c)
            || !long.TryParse(parts[1].AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s))
            return false;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(key, c, s)), Encoding.ASCII.GetBytes(parts[2].ToLowerInvariant())))
            return false;
        campaignId = c;
        subscriberId = s;
        return true;
    }

    private static string Mac(byte[] key, long campaignId, long subscriberId)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{campaignId}-{subscriberId}"), mac);
        return Convert.ToHexStringLower(mac[..5]);
    }
}
