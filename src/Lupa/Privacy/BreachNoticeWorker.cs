using Lupa.Hosting;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>Wakes the notice preparer when a breach notice was made, so its mails are queued at once.</summary>
public sealed class BreachNoticeSignal : WakeSignal;

/// <summary>
/// Queues the mails of breach notices: takes a notice being prepared under a lease (any node may), builds each
/// person's mail in their language and puts it in the outbox in batches, one transaction each, with a Message-ID
/// stable per notice and person. After a crash or restart the notice is taken up again where it stopped; the outbox
/// then sends, retries and records each mail as it does all system mail.
/// </summary>
public sealed class BreachNoticeWorker(LupaDatabase db, BreachService breaches, BreachNoticeSignal signal, TimeProvider clock, ILogger<BreachNoticeWorker> log)
    : BackgroundService
{
    private const int BatchSize = 200;
    private const long LeaseMs = 120_000;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = new BreachNoticeQueue(db);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var notice in await queue.PreparingAsync(Now(), stoppingToken))
                    await PrepareAsync(queue, notice, stoppingToken);
                await signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Preparing breach notices failed; trying again in a few seconds");
                await Task.Delay(5000, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task PrepareAsync(BreachNoticeQueue queue, BreachNoticeRow notice, CancellationToken ct)
    {
        long? held = null;
        var now = Now();
        if (!await queue.LeaseAsync(notice.Id, held, now, LeaseMs, ct))
            return;
        held = now + LeaseMs;
        var compose = await breaches.ComposerAsync(notice, ct);
        if (compose is null)
            return;
        var queued = 0;
        while (!ct.IsCancellationRequested)
        {
            var batch = await queue.UnqueuedAsync(notice.Id, BatchSize, ct);
            if (batch.Count == 0)
            {
                await queue.FinishAsync(notice.Id, Now(), ct);
                log.LogInformation("Breach notice {NoticeId}: {Count} mails queued", notice.Id, queued);
                return;
            }
            await queue.QueueAsync(notice.OrgId, batch.Select(r => (r.Id, compose(r))).ToList(), Now(), ct);
            queued += batch.Count;
            breaches.WakeOutbox();
            now = Now();
            if (!await queue.LeaseAsync(notice.Id, held, now, LeaseMs, ct))
                return;
            held = now + LeaseMs;
        }
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
