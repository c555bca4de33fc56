using Lupa.Domain.Privacy;

namespace Lupa.Hosting;

/// <summary>The loop of a job that runs once a day at an hour in a time zone (the privacy summary, retention).</summary>
public static class DailySchedule
{
    /// <summary>
    /// Runs <paramref name="work"/> every day at <paramref name="hour"/> in <paramref name="zone"/> by
    /// <paramref name="clock"/>, and at once when started after today's hour (the work must make a second run on the same
    /// day harmless). A failure is logged and the job goes on at the next run.
    /// </summary>
    public static async Task RunAsync(TimeProvider clock, int hour, TimeZoneInfo zone, Func<DateTimeOffset, CancellationToken, Task> work,
        ILogger log, string name, CancellationToken stoppingToken)
    {
        var now = clock.GetUtcNow();
        // After a restart past the hour, today's run still happens.
        var todays = PrivacyDeadlines.NextDailyRun(now.AddDays(-1), hour, zone);
        var next = todays <= now && PrivacyDeadlines.LocalDate(todays, zone) == PrivacyDeadlines.LocalDate(now, zone)
            ? now
            : PrivacyDeadlines.NextDailyRun(now, hour, zone);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = next - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, clock, stoppingToken);
                await work(clock.GetUtcNow(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "{Job} failed; it is tried again at the next run", name);
            }
            next = PrivacyDeadlines.NextDailyRun(clock.GetUtcNow(), hour, zone);
        }
    }
}
