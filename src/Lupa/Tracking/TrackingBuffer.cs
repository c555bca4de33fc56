using System.Threading.Channels;
using Lupa.Domain.Tracking;
using Lupa.Hosting;
using Microsoft.Extensions.Options;

namespace Lupa.Tracking;

/// <summary>One open, click or campaign unsubscribe as the request saw it, before the writer counts it.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="SubscriberId">The person, only when their message was tracked individually; otherwise 0.</param>
/// <param name="LinkId">The link of a click; 0 otherwise.</param>
/// <param name="Tag">The message's random tag (for the burst rule); 0 when unknown.</param>
/// <param name="Machine">Whether the request itself showed a machine (HEAD, user agent, too soon).</param>
/// <param name="At">When, in Unix milliseconds.</param>
public readonly record struct TrackingHit(TrackingKind Kind, long CampaignId, long SubscriberId, int LinkId, uint Tag, bool Machine, long At);

/// <summary>
/// Where the open and click endpoints put what they saw: an in-memory queue that <see cref="TrackingWriter"/>
/// empties in batches, so a request never waits for the database. Bounded by <c>Lupa:Tracking:MaxBuffered</c>:
/// should the database stop answering for long, what comes beyond that is counted as dropped (and logged) rather
/// than let memory grow without end.
/// </summary>
public sealed class TrackingBuffer(IOptions<LupaOptions> options)
{
    private readonly Channel<TrackingHit> _channel = Channel.CreateUnbounded<TrackingHit>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly long _max = options.Value.Tracking.MaxBuffered;
    private long _buffered;
    private long _dropped;

    /// <summary>Hits waiting for the writer.</summary>
    public long Buffered => Interlocked.Read(ref _buffered);

    /// <summary>Hits dropped because the buffer was full, since the start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a hit; false (and counted as dropped) when the buffer is full.</summary>
    public bool Add(in TrackingHit hit)
    {
        if (Interlocked.Increment(ref _buffered) > _max)
        {
            Interlocked.Decrement(ref _buffered);
            Interlocked.Increment(ref _dropped);
            return false;
        }
        _channel.Writer.TryWrite(hit);
        return true;
    }

    /// <summary>Takes a queued hit, if there is one.</summary>
    internal bool TryTake(out TrackingHit hit)
    {
        if (!_channel.Reader.TryRead(out hit))
            return false;
        Interlocked.Decrement(ref _buffered);
        return true;
    }

    /// <summary>Waits until a hit is queued (or the time passes, or the token is cancelled).</summary>
    internal async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.WaitToReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the time passed
        }
    }
}
