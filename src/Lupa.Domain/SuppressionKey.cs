using System.Security.Cryptography;
using System.Text;

namespace Lupa.Domain;

/// <summary>Why an address is on the suppression list.</summary>
public static class SuppressionReasons
{
    public const string Unsubscribed = "unsubscribed";
    public const string Erased = "erased";
    public const string Complaint = "complaint";
    public const string HardBounce = "hard_bounce";

    /// <summary>The person objected to direct marketing (GDPR Article 21(3)): absolute, for every list.</summary>
    public const string Objection = "objection";
    /// <summary>Soft bounces reached the configured limit within the window (repeated full mailbox, repeated refusals).</summary>
    public const string SoftBounce = "soft_bounce";
}

/// <summary>
/// The suppression list keeps no address, only a keyed hash of it: HMAC-SHA256 over the whole
/// address lower-cased, so a later import finds the person without Lupa keeping who they are.
/// </summary>
public static class SuppressionKey
{
    /// <summary>The stored key of an address.</summary>
    public static string For(byte[] key, EmailAddress address) => ForStored(key, address.Value);

    /// <summary>The stored key of an address as Lupa keeps it (already normalised when it was stored).</summary>
    public static string ForStored(byte[] key, string storedAddress) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(storedAddress.ToLowerInvariant())));
}
