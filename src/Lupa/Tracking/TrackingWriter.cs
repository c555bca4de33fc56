using Lupa.Domain.Tracking;
using Lupa.Hosting;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Tracking;

/// <summary>
/// Empties the <see cref="TrackingBuffer"/> in batches and writes each batch in one transaction (group commit):
/// counts are summed in memory first, so ten thousand opens of one campaign in an hour are one row's addition, and
/// the messages' tags (for the unique counts) are deduplicated in memory before they are inserted.
/// Clicks wait <see cref="ClickBursts.Window"/> before they are counted, so that a scanner's burst of clicks on many
/// links of one message is counted as a machine's, the first of them too. On shutdown (after the web server has
/// stopped taking requests) everything still queued or waiting is written, so nothing is lost by a clean stop;
/// a failed write is kept and tried again.
/// </summary>
public sealed class TrackingWriter(TrackingBuffer buffer, LupaDatabase db, IOptions<LupaOptions> options, TimeProvider clock, ILogger<TrackingWriter> log) : BackgroundService
{
    private readonly TrackingRecorder _recorder = new(db);
    private readonly TimeSpan _flush = TimeSpan.FromMilliseconds(options.Value.Tracking.FlushMilliseconds);
    private readonly long _window = (long)ClickBursts.Window.TotalMilliseconds;

    // Clicks by message (campaign, tag), kept for the burst rule until the window after them has passed, and as
    // context for the clicks after them for one more window.
    private readonly Dictionary<(long Campaign, uint Tag), List<PendingClick>> _clicks = [];
    private readonly Dictionary<(long Campaign, int Kind, int Link, int Machine, long Hour), long> _counts = [];
    private readonly List<TrackingEventRow> _events = [];
    private readonly UniqueTags _tags = new();
    private long _unwritten;
    private long _recorded;
    private long _lastDropped;

    private sealed class PendingClick(TrackingHit hit)
    {
        public TrackingHit Hit { get; } = hit;
        public bool Counted { get; set; }
    }

    /// <summary>Hits written to the database since the start (counted, individual events or not).</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await buffer.WaitAsync(_clicks.Count > 0 || _unwritten > 0 ? _flush : TimeSpan.FromSeconds(1), stoppingToken);
                // Requests that arrive together share the batch: wait a moment for the rest of them.
                await Task.Delay(_flush, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (await TryWriteAsync(final: false, CancellationToken.None))
                failures = 0;
            else
                await PauseAsync(++failures, stoppingToken);
        }
        // The server has stopped taking requests: write all that is left, clicks still in their window as well.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            if (await TryWriteAsync(final: true, CancellationToken.None))
                return;
            await Task.Delay(TimeSpan.FromSeconds(attempt), CancellationToken.None);
        }
        log.LogError("Tracking: {Count} opens and clicks could not be written before the stop and are lost", _unwritten);
    }

    private static async Task PauseAsync(int failures, CancellationToken ct)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), ct);
        }
        catch (OperationCanceledException)
        {
            // stopping: the final write follows
        }
    }

    // Takes what is queued, counts what is due, and writes. False when the write failed (what it held is kept).
    private async Task<bool> TryWriteAsync(bool final, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        while (buffer.TryTake(out var hit))
        {
            if (hit.Kind == TrackingKind.Click && hit.Tag != 0)
            {
                var key = (hit.CampaignId, hit.Tag);
                if (!_clicks.TryGetValue(key, out var list))
                    _clicks[key] = list = [];
                list.Add(new PendingClick(hit));
            }
            else
            {
                Count(hit, hit.Machine);
            }
        }
        JudgeClicks(now, final);
        var dropped = buffer.Dropped;
        if (dropped != _lastDropped)
        {
            log.LogError("Tracking: the buffer was full and {Count} opens and clicks were dropped; is the database answering?", dropped - _lastDropped);
            _lastDropped = dropped;
        }
        if (_unwritten == 0)
            return true;
        try
        {
            var counts = _counts.Select(c => new TrackingCount(c.Key.Campaign, c.Key.Kind, c.Key.Link, c.Key.Machine, c.Key.Hour, c.Value)).ToList();
            var tags = _tags.InKeyOrder().Select(t => new TrackingTag(t.CampaignId, (int)t.Kind, t.LinkId, t.Machine ? 1 : 0, t.Tag)).ToList();
            await _recorder.RecordAsync(counts, _events, tags, ct);
        }
        catch (Exception e)
        {
            log.LogError(e, "Tracking: writing {Count} opens and clicks failed; they are kept and tried again", _unwritten);
            return false;
        }
        Interlocked.Add(ref _recorded, _unwritten);
        _unwritten = 0;
        _counts.Clear();
        _events.Clear();
        _tags.Clear();
        return true;
    }

    private void JudgeClicks(long now, bool final)
    {
        List<(long, uint)>? empty = null;
        foreach (var (key, list) in _clicks)
        {
            var due = final || list.Exists(c => !c.Counted && c.Hit.At + _window <= now);
            if (due)
            {
                var bursts = ClickBursts.Judge(list.Select(c => new BurstClick(key, c.Hit.LinkId, c.Hit.At)).ToList());
                for (var i = 0; i < list.Count; i++)
                {
                    var c = list[i];
                    if (!c.Counted && (final || c.Hit.At + _window <= now))
                    {
                        Count(c.Hit, c.Hit.Machine || bursts[i]);
                        c.Counted = true;
                    }
                }
            }
            // Counted clicks stay one more window, as what the clicks after them are judged with.
            list.RemoveAll(c => c.Counted && (final || c.Hit.At + 2 * _window < now));
            if (list.Count == 0)
                (empty ??= []).Add(key);
        }
        foreach (var key in empty ?? [])
            _clicks.Remove(key);
    }

    private void Count(in TrackingHit hit, bool machine)
    {
        var m = machine ? 1 : 0;
        var kind = (int)hit.Kind;
        var key = (hit.CampaignId, kind, hit.LinkId, m, hit.At - hit.At % 3_600_000);
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
        _tags.Add(hit.CampaignId, hit.Kind, hit.LinkId, machine, hit.Tag);
        if (hit.SubscriberId > 0 && hit.Kind != TrackingKind.Unsubscribe)
            _events.Add(new TrackingEventRow(hit.CampaignId, hit.SubscriberId, kind, hit.LinkId, m, hit.At));
        _unwritten++;
    }
}
