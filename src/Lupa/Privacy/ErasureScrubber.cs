using System.Threading.Channels;
using Lupa.Storage;

namespace Lupa.Privacy;

/// <summary>
/// The file-level half of an erasure, run in the background right after it: makes the deleted rows unreadable in the
/// database files (SQLite: truncates the WAL; PostgreSQL: rewrites the personal tables with VACUUM FULL, see
/// <see cref="SubscriberErasure"/>). Erasures that arrive while a scrub runs share the next one, so a burst of
/// erasures costs one rewrite, not one each.
/// </summary>
public sealed class ErasureScrubber(LupaDatabase db, ILogger<ErasureScrubber> log) : BackgroundService
{
    // One waiting signal is enough: a scrub started after an erasure covers it.
    private readonly Channel<bool> _wanted = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _running = new(1, 1);

    /// <summary>Asks for a scrub soon (after an erasure).</summary>
    public void Request() => _wanted.Writer.TryWrite(true);

    /// <summary>
    /// Scrubs now, waiting for a scrub in progress first. On SQLite a reader holding an old snapshot keeps the WAL from
    /// being truncated: this retries for a while and returns false if it never could.
    /// </summary>
    public async Task<bool> ScrubAsync(CancellationToken ct = default)
    {
        await _running.WaitAsync(ct);
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if (await SubscriberErasure.ScrubFilesAsync(db, ct))
                {
                    log.LogInformation("Erasure scrub done in {Ms} ms", started.ElapsedMilliseconds);
                    return true;
                }
                await Task.Delay(100, ct);
            }
            log.LogWarning("Erasure scrub: the SQLite WAL could not be truncated (a reader kept an old snapshot); retrying later");
            return false;
        }
        finally
        {
            _running.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var _ in _wanted.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                if (!await ScrubAsync(stoppingToken))
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                    Request();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Erasure scrub failed; retrying in a minute");
                await Task.Delay(TimeSpan.FromMinutes(1), stoppingToken);
                Request();
            }
        }
    }
}
