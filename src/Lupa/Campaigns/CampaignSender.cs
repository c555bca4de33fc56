using System.Threading.Channels;
using Lupa.Domain;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Outbox;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Campaigns;

/// <summary>
/// Sends running campaigns. Each campaign runs as a pipe: a claimer takes batches of recipients
/// under a lease, senders build and deliver each message over the relay pool, and a recorder writes
/// the results in batches. A recipient is marked sent only after a relay accepted its message, so a
/// node that dies loses nothing: its leases run out and any node sends the rest. Every node runs
/// this; on PostgreSQL they share a campaign without taking the same recipient twice.
/// </summary>
public sealed class CampaignSender(
    LupaDatabase db,
    CampaignMailFactory mails,
    CampaignService campaigns,
    Lupa.AcceptableUse.AcceptableUseService acceptableUse,
    CampaignSignal signal,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<CampaignSender> log) : BackgroundService
{
    private readonly CampaignQueue _queue = new(db, options.Value.Bounces.SoftBounces());
    private readonly LupaDatabase _db = db;
    private readonly CampaignMailFactory _mails = mails;
    private readonly CampaignService _campaigns = campaigns;
    private readonly Lupa.AcceptableUse.AcceptableUseService _acceptableUse = acceptableUse;
    private readonly CampaignOptions _options = options.Value.Campaigns;
    private readonly ILogger _log = log;

    /// <summary>The relays campaigns use: <c>Lupa:Relays</c>, else <c>Lupa:Smtp</c>, else the mail catcher.</summary>
    public static IReadOnlyList<RelayOptions> EffectiveRelays(LupaOptions o)
    {
        if (o.Relays.Any(r => !string.IsNullOrWhiteSpace(r.Host)))
            return o.Relays.Where(r => !string.IsNullOrWhiteSpace(r.Host)).ToList();
        return OutboxWorker.EffectiveRelay(o) is { } single ? [single] : [];
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var relays = EffectiveRelays(o);
        if (relays.Count == 0)
        {
            _log.LogWarning("No relay is configured and the mail catcher is off: campaigns are not sent from this node.");
            return;
        }
        await using var pool = new RelayPool(relays, clock);
        var runs = new Dictionary<long, Task>();
        long nextProbe = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var due in await _queue.DueScheduledAsync(Now(), stoppingToken))
                    await _campaigns.StartScheduledAsync(due, stoppingToken);
                var active = await _queue.ActiveAsync(stoppingToken);
                if (active.Any(c => c.Status == Lupa.Domain.Campaigns.CampaignStatus.Paused) && Now() >= nextProbe)
                {
                    nextProbe = Now() + o.Campaigns.ProbeSeconds * 1000L;
                    if (await pool.AnyAnswersAsync(stoppingToken))
                    {
                        foreach (var c in active.Where(c => c.Status == Lupa.Domain.Campaigns.CampaignStatus.Paused))
                        {
                            if (await _queue.SetAutoPausedAsync(c.Id, false, null, Now(), stoppingToken))
                                _log.LogInformation("Campaign {Campaign} resumed: a relay answers again", c.Id);
                        }
                        continue;
                    }
                }
                foreach (var done in runs.Where(r => r.Value.IsCompleted).Select(r => r.Key).ToList())
                    runs.Remove(done);
                foreach (var c in active.Where(c => c.Status == Lupa.Domain.Campaigns.CampaignStatus.Sending && !runs.ContainsKey(c.Id)))
                    runs[c.Id] = Task.Run(() => RunAsync(c, pool, stoppingToken), CancellationToken.None);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _log.LogError(e, "The campaign sender's round failed");
            }
            try
            {
                await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        // A graceful stop lets every message in flight finish and be recorded.
        await Task.WhenAll(runs.Values);
    }

    private async Task RunAsync(CampaignRow campaign, RelayPool pool, CancellationToken stopping)
    {
        try
        {
            await new CampaignRun(campaign, this, pool, stopping).RunAsync();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // the node is stopping; what was in flight has been recorded
        }
        catch (Exception e)
        {
            _log.LogError(e, "Sending campaign {Campaign} failed; it is picked up again on the next round", campaign.Id);
        }
    }

    /// <summary>One campaign's pipe on this node, until the campaign stops sending or the node stops.</summary>
    private sealed class CampaignRun(CampaignRow campaign, CampaignSender owner, RelayPool pool, CancellationToken stopping)
    {
        private readonly CampaignOptions _o = owner._options;
        private readonly Channel<RecipientResult> _results = Channel.CreateUnbounded<RecipientResult>(new() { SingleReader = true });
        private readonly FailureWindow _window = new(owner._options.FailureWindow, owner._options.PauseFailureRatio);
        private volatile bool _halted;
        private volatile bool _relayDown;
        private CampaignMail _mail = null!;
        private HashSet<string> _suppressed = [];
        private long _suppressedAt;
        private long _claimedUpTo;
        private long _recorded;
        private long _nextWatch;

        // Recipients this node holds from claim until their result is in the database. Should a lease
        // run out while a send is slow (an overloaded machine), the claimer may be handed the same
        // recipient again; it leaves them to the send in flight instead of sending twice.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> _inFlight = new();

        public async Task RunAsync()
        {
            var prepared = await owner._mails.PrepareAsync(campaign, stopping);
            if (!prepared.IsOk)
            {
                await owner._campaigns.For(campaign.OrgId).ChangeStatusAsync(campaign.Id, [Lupa.Domain.Campaigns.CampaignStatus.Sending],
                    Lupa.Domain.Campaigns.CampaignStatus.Paused, $"The template no longer compiles: {prepared.Reason}", false, owner.Now(), ct: CancellationToken.None);
                return;
            }
            _mail = prepared.Value!;
            // The report names the links that clicks count for.
            await new TrackingRecorder(owner._db).AddLinksAsync(campaign.Id, _mail.TrackedLinks.Select(l => (l.Id, l.Url)).ToList(), stopping);
            await RefreshSuppressionsAsync();
            var concurrency = _o.Concurrency > 0 ? _o.Concurrency : pool.Capacity;
            var work = Channel.CreateBounded<Claimed>(new BoundedChannelOptions(Math.Max(_o.BatchSize, concurrency * 2)) { SingleWriter = true });
            var recorder = Task.Run(RecordAsync, CancellationToken.None);
            var senders = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => SendAsync(work.Reader), CancellationToken.None)).ToArray();
            try
            {
                await ClaimAsync(work.Writer);
            }
            finally
            {
                work.Writer.TryComplete();
                await Task.WhenAll(senders);
                _results.Writer.TryComplete();
                await recorder;
                if (stopping.IsCancellationRequested)
                    owner._log.LogInformation("Campaign {Campaign}: this node stopped sending; {Recorded} results recorded in this run", campaign.Id, _recorded);
            }
            if (_relayDown)
            {
                await owner._queue.SetAutoPausedAsync(campaign.Id, true,
                    "Most recent sends failed: the relay does not answer. Sending resumes by itself when it does.", owner.Now(), CancellationToken.None);
                owner._log.LogWarning("Campaign {Campaign} paused: most recent sends failed", campaign.Id);
            }
        }

        private async Task ClaimAsync(ChannelWriter<Claimed> work)
        {
            var leaseMs = _o.LeaseSeconds * 1000L;
            while (!_halted && !stopping.IsCancellationRequested)
            {
                if (await owner._queue.StatusAsync(campaign.Id, stopping) != Lupa.Domain.Campaigns.CampaignStatus.Sending)
                    break;
                if (owner.Now() - _suppressedAt > 10_000)
                    await RefreshSuppressionsAsync();
                var now = owner.Now();
                var after = _claimedUpTo;
                var batch = await owner._queue.ClaimAsync(campaign, _o.BatchSize, now, leaseMs, after, stopping);
                if (batch.Count == 0 && after > 0)
                    batch = await owner._queue.ClaimAsync(campaign, _o.BatchSize, now, leaseMs, 0, stopping);
                // A short claim ends a pass over the queue: the next starts from the beginning again.
                _claimedUpTo = batch.Count < _o.BatchSize ? 0 : batch[^1].SubscriberId;
                if (batch.Count == 0)
                {
                    if (await owner._queue.FinishIfDoneAsync(campaign.Id, owner.Now(), stopping))
                    {
                        owner._log.LogInformation("Campaign {Campaign} sent", campaign.Id);
                        break;
                    }
                    var next = await owner._queue.NextDueAsync(campaign.Id, stopping) ?? owner.Now() + 1000;
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(next - owner.Now(), 20, 1000)), stopping);
                    continue;
                }
                foreach (var r in batch)
                {
                    if (_inFlight.TryAdd(r.SubscriberId, 0))
                        await work.WriteAsync(new Claimed(r, now + leaseMs), CancellationToken.None);
                }
            }
            _halted = true;
        }

        private async Task RefreshSuppressionsAsync()
        {
            _suppressed = await owner._queue.OrganisationSuppressionsAsync(campaign.OrgId, CancellationToken.None);
            _suppressedAt = owner.Now();
        }

        private async Task SendAsync(ChannelReader<Claimed> work)
        {
            var margin = _o.LeaseSeconds * 1000L / 4;
            await foreach (var (r, leaseUntil) in work.ReadAllAsync(CancellationToken.None))
            {
                // Once halted (paused, cancelled, relay down, node stopping), what was claimed but not
                // begun goes back to the queue untried; what is in flight finishes. A recipient whose
                // lease is nearly spent (a slow relay) goes back too: another node may take it soon,
                // and sending it here as well would send it twice.
                if (_halted || stopping.IsCancellationRequested || owner.Now() > leaseUntil - margin)
                {
                    _results.Writer.TryWrite(new RecipientResult(r.SubscriberId, RecipientOutcome.Released) { LeaseUntil = leaseUntil });
                    continue;
                }
                var result = await SendOneAsync(r) with { LeaseUntil = leaseUntil };
                _results.Writer.TryWrite(result);
                if (result.Outcome is RecipientOutcome.Sent or RecipientOutcome.Retry or RecipientOutcome.Released)
                {
                    if (_window.Add(result.Outcome != RecipientOutcome.Sent))
                    {
                        _relayDown = true;
                        _halted = true;
                    }
                }
            }
        }

        private async Task<RecipientResult> SendOneAsync(ClaimedRecipient r)
        {
            if (r.Email is null)
                return new RecipientResult(r.SubscriberId, RecipientOutcome.Skipped, "erased");
            if (!r.Wanted)
                return new RecipientResult(r.SubscriberId, RecipientOutcome.Skipped, "no longer subscribed, or restricted or suppressed");
            var address = EmailAddress.Parse(r.Email);
            if (address.IsOk && _suppressed.Count > 0 && _suppressed.Contains(SuppressionKey.For(owner._db.SuppressionKey, address.Value!)))
                return new RecipientResult(r.SubscriberId, RecipientOutcome.Skipped, "suppressed");
            var built = _mail.Build(new CampaignRecipient(r.SubscriberId, r.Email, r.Name ?? "", r.Language ?? "en", r.Attributes ?? "{}", r.ObjectedProfiling), tracked: true);
            if (!built.IsOk)
                return new RecipientResult(r.SubscriberId, RecipientOutcome.Failed, built.Reason);
            DeliveryResult delivery;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                delivery = await pool.SendAsync(built.Value!, _mail.ReturnPathFor(r.SubscriberId), r.Email, timeout.Token);
            }
            catch (Exception e)
            {
                delivery = new DeliveryResult(DeliveryStatus.Transient, e.Message);
            }
            var now = owner.Now();
            return delivery.Status switch
            {
                DeliveryStatus.Accepted => new RecipientResult(r.SubscriberId, RecipientOutcome.Sent),
                DeliveryStatus.Permanent => Refused(r.SubscriberId, delivery.Detail),
                // No relay could be reached: not this recipient's fault, so the try is not counted.
                _ when delivery.Unreachable => new RecipientResult(r.SubscriberId, RecipientOutcome.Released, delivery.Detail, now + 5_000),
                _ when r.Attempts >= _o.MaxAttempts => new RecipientResult(r.SubscriberId, RecipientOutcome.Failed, $"gave up after {r.Attempts} tries: {delivery.Detail}"),
                _ => new RecipientResult(r.SubscriberId, RecipientOutcome.Retry, delivery.Detail, now + Backoff(r.Attempts)),
            };
        }

        // A 5xx answer fails the recipient and counts as a bounce: hard, or soft for a full mailbox or a
        // refusal of this message rather than of the address.
        private static RecipientResult Refused(long subscriberId, string? detail)
        {
            var bounce = Lupa.Mail.Bounces.BounceClassifier.FromSmtpReply(detail);
            return new RecipientResult(subscriberId, RecipientOutcome.Failed, detail)
            {
                Bounce = bounce is null ? null : bounce.Value.Severity == Lupa.Mail.Bounces.BounceSeverity.Hard ? Lupa.Domain.Bounces.BounceKinds.Hard : Lupa.Domain.Bounces.BounceKinds.Soft,
                BounceStatus = bounce?.Status,
            };
        }

        // Exponential from the base, capped at an hour, with up to a quarter more at random so
        // recipients refused together do not come back together.
        private long Backoff(int attempts)
        {
            var ms = Math.Min(3_600_000, _o.RetryBaseSeconds * 1000 * Math.Pow(2, Math.Max(0, attempts - 1)));
            return (long)(ms + Random.Shared.NextDouble() * ms / 4);
        }

        private async Task RecordAsync()
        {
            var batch = new List<RecipientResult>(1024);
            var reader = _results.Reader;
            while (true)
            {
                bool more;
                try
                {
                    using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                    more = await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    more = true;
                }
                while (batch.Count < 1000 && reader.TryRead(out var r))
                    batch.Add(r);
                if (batch.Count > 0)
                {
                    await FlushAsync(batch);
                    await WatchAsync(force: !more);
                }
                if (!more)
                    break;
            }
        }

        // What was just recorded changed the campaign's rates: the acceptable use policy may stop it now
        // (checked at most twice a second, and after the last results). Whoever paused or cancelled it (a
        // person, the policy, another node), this node then stops claiming and gives back what it holds unsent.
        private async Task WatchAsync(bool force)
        {
            try
            {
                if (force || owner.Now() >= _nextWatch)
                {
                    _nextWatch = owner.Now() + 500;
                    await owner._acceptableUse.CheckCampaignAsync(campaign.Id, CancellationToken.None);
                }
                if (await owner._queue.StatusAsync(campaign.Id, CancellationToken.None) != Lupa.Domain.Campaigns.CampaignStatus.Sending)
                    _halted = true;
            }
            catch (Exception e)
            {
                owner._log.LogWarning(e, "Checking campaign {Campaign} against the acceptable use policy failed; it is checked again after the next results", campaign.Id);
            }
        }

        // The results are the proof that mail left, and what keeps another node (or this one, after a restart) from
        // sending it again: they are kept until the database takes them, however long it is away. While it is, no new
        // send begins (what was claimed goes back untried once it can be recorded). Only a node that is stopping gives
        // up, after a last minute of tries; the messages it could not record are counted in its log.
        private async Task FlushAsync(List<RecipientResult> batch)
        {
            var delay = 250;
            long? givingUpAt = null;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await owner._queue.RecordAsync(campaign.Id, batch, owner.Now(), CancellationToken.None);
                    _recorded += batch.Count;
                    foreach (var r in batch)
                        _inFlight.TryRemove(r.SubscriberId, out _);
                    batch.Clear();
                    if (attempt > 1)
                        owner._log.LogInformation("Results of campaign {Campaign} recorded after {Attempts} tries", campaign.Id, attempt);
                    return;
                }
                catch (Exception e)
                {
                    _halted = true;
                    if (stopping.IsCancellationRequested)
                    {
                        givingUpAt ??= Environment.TickCount64 + 60_000;
                        if (Environment.TickCount64 > givingUpAt)
                        {
                            owner._log.LogError(e, "Campaign {Campaign}: {Count} results could not be recorded before this node stopped; " +
                                "those of them that were sent may be sent again when their lease runs out", campaign.Id, batch.Count);
                            batch.Clear();
                            return;
                        }
                    }
                    if (attempt == 1 || attempt % 20 == 0)
                        owner._log.LogWarning(e, "Recording {Count} results of campaign {Campaign} failed (try {Attempt}); no new sends until they are recorded", batch.Count, campaign.Id, attempt);
                    await Task.Delay(delay);
                    delay = Math.Min(delay * 2, 5_000);
                }
            }
        }
    }
}

/// <summary>A claimed recipient and the end of this node's lease on them.</summary>
internal readonly record struct Claimed(ClaimedRecipient Recipient, long LeaseUntil);

/// <summary>The last sends' failures: says when most of a full window failed.</summary>
internal sealed class FailureWindow(int size, double ratio)
{
    private readonly bool[] _ring = new bool[size];
    private int _next;
    private int _count;
    private int _failures;
    private readonly object _lock = new();

    /// <summary>Adds a send's result; true when the window is full and its failures reach the ratio.</summary>
    public bool Add(bool failed)
    {
        lock (_lock)
        {
            if (_count == _ring.Length && _ring[_next])
                _failures--;
            _ring[_next] = failed;
            if (failed)
                _failures++;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
            return _count == _ring.Length && _failures >= ratio * _ring.Length;
        }
    }
}
