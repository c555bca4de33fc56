using System.Threading.RateLimiting;
using Lupa.Security;

namespace Lupa.Admin;

/// <summary>
/// Slows password guessing: after 20 failed logins for one address within 10 minutes that address
/// is refused until the window ends. Only failures count, so people who type right are never held up.
/// </summary>
public static class LoginThrottle
{
    private const int Failures = 20;

    private static readonly PartitionedRateLimiter<string> Limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Failures,
            Window = TimeSpan.FromMinutes(10),
            QueueLimit = 0,
        }));

    private static readonly Lazy<string> Dummy = new(() => Passwords.Hash(Passwords.Generate()));

    /// <summary>A hash to verify against when the address is unknown, so both cases take as long.</summary>
    public static string DummyHash => Dummy.Value;

    /// <summary>False when the address has used up its failures.</summary>
    public static bool MayTry(string email) =>
        (Limiter.GetStatistics(Key(email))?.CurrentAvailablePermits ?? Failures) > 0;

    /// <summary>Counts a failed attempt.</summary>
    public static void Failed(string email)
    {
        using var lease = Limiter.AttemptAcquire(Key(email));
    }

    private static string Key(string email) => email.Trim().ToLowerInvariant();
}
