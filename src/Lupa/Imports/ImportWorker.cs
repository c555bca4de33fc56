using Lupa.Hosting;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Imports;

/// <summary>Runs queued and approved imports, and takes over those whose worker died (their lease ran out).</summary>
public sealed class ImportWorker(LupaDatabase db, ImportRunner runner, TimeProvider clock, ILogger<ImportWorker> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = new ImportStore(db);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var job = await store.ClaimNextAsync(clock.GetUtcNow().ToUnixTimeMilliseconds(), 120_000, null, stoppingToken);
                if (job is not null)
                {
                    try
                    {
                        await runner.RunAsync(job, null, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        // A graceful stop: give the import back at once, so the next start resumes it without waiting for the lease.
                        await store.RenewLeaseAsync(job.Id, 0, CancellationToken.None);
                        throw;
                    }
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Running an import failed; it resumes when its lease runs out");
            }
            await Task.Delay(500, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
