using System.Threading.RateLimiting;
using Lupa.Hosting;
using Microsoft.Extensions.Options;

namespace Lupa.Subscriptions;

/// <summary>Limits public form posts per client IP with the built-in fixed-window limiter.</summary>
public sealed class FormRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    /// <summary>Creates the limiter from <c>Lupa:PublicForm:RateLimitPerMinute</c>.</summary>
    public FormRateLimiter(IOptions<LupaOptions> options)
    {
        var permits = options.Value.PublicForm.RateLimitPerMinute;
        _limiter = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
    }

    /// <summary>True when this IP may post now.</summary>
    public bool TryAcquire(string? ip)
    {
        using var lease = _limiter.AttemptAcquire(ip ?? "unknown");
        return lease.IsAcquired;
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();
}
