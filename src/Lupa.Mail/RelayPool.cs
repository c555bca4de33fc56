using System.Threading.RateLimiting;

namespace Lupa.Mail;

/// <summary>
/// Several relays used together: each message goes to one chosen by weight among those that answer;
/// a relay that cannot be reached rests for a while and its share goes to the others (failover).
/// Each relay keeps its own connection pool and its own limit of messages a second.
/// </summary>
public sealed class RelayPool : IAsyncDisposable
{
    private sealed class Member(SmtpSender sender, RateLimiter? limiter)
    {
        public SmtpSender Sender { get; } = sender;
        public RateLimiter? Limiter { get; } = limiter;
        public long RestUntil;
        public string Name => Sender.Relay.Name ?? $"{Sender.Relay.Host}:{Sender.Relay.Port}";
    }

    private readonly Member[] _members;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _rest;

    /// <summary>Creates the pool. <paramref name="rest"/> is how long an unreachable relay is left alone.</summary>
    public RelayPool(IEnumerable<RelayOptions> relays, TimeProvider clock, TimeSpan? rest = null)
    {
        _clock = clock;
        _rest = rest ?? TimeSpan.FromSeconds(30);
        _members = relays.Select(r => new Member(new SmtpSender(r), r.MaxPerSecond > 0
            ? new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                // Replenished ten times a second so the pace is even, with a tenth of a second's burst.
                TokenLimit = Math.Max(1, r.MaxPerSecond / 10),
                TokensPerPeriod = Math.Max(1, r.MaxPerSecond / 10),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            })
            : null)).ToArray();
        if (_members.Length == 0)
            throw new ArgumentException("At least one relay is needed.", nameof(relays));
    }

    /// <summary>Most connections open at once over all relays: how many sends are worth running together.</summary>
    public int Capacity => _members.Sum(m => Math.Max(1, m.Sender.Relay.MaxConnections));

    /// <summary>
    /// Sends through one relay; if it cannot be reached, through the next that can. An answer from a
    /// relay (2xx, 4xx, 5xx) is final for this try: another relay would likely say the same.
    /// </summary>
    public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> message, string mailFrom, string rcptTo, CancellationToken ct)
    {
        var tried = 0;
        DeliveryResult last = default;
        foreach (var member in Order())
        {
            tried++;
            if (member.Limiter is not null)
            {
                using var lease = await member.Limiter.AcquireAsync(1, ct);
            }
            last = await member.Sender.SendAsync(message, mailFrom, rcptTo, ct);
            if (!last.Unreachable)
                return last;
            Volatile.Write(ref member.RestUntil, _clock.GetUtcNow().Add(_rest).ToUnixTimeMilliseconds());
        }
        return tried == 0 ? new DeliveryResult(DeliveryStatus.Transient, "no relay") { Unreachable = true } : last;
    }

    /// <summary>Tells whether any relay answers now (connects and greets), for resuming a campaign the relays' failures paused.</summary>
    public async Task<bool> AnyAnswersAsync(CancellationToken ct)
    {
        foreach (var m in _members)
        {
            if (await m.Sender.ProbeAsync(ct))
            {
                Volatile.Write(ref m.RestUntil, 0);
                return true;
            }
        }
        return false;
    }

    // Relays that are not resting, in a weighted random order, then the resting ones as a last resort.
    private IEnumerable<Member> Order()
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_members.Length == 1)
            return _members;
        var awake = _members.Where(m => Volatile.Read(ref m.RestUntil) <= now).ToList();
        var resting = _members.Where(m => Volatile.Read(ref m.RestUntil) > now);
        var ordered = new List<Member>(_members.Length);
        while (awake.Count > 0)
        {
            var total = awake.Sum(m => Math.Max(1, m.Sender.Relay.Weight));
            var pick = Random.Shared.Next(total);
            var i = 0;
            while (pick >= Math.Max(1, awake[i].Sender.Relay.Weight))
            {
                pick -= Math.Max(1, awake[i].Sender.Relay.Weight);
                i++;
            }
            ordered.Add(awake[i]);
            awake.RemoveAt(i);
        }
        ordered.AddRange(resting);
        return ordered;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
        {
            await m.Sender.DisposeAsync();
            m.Limiter?.Dispose();
        }
    }
}
