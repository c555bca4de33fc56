using System.Net;
using Lupa.Domain.Bounces;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Bounces;

/// <summary>
/// Takes bounces and complaints in: an SMTP listener (<c>Lupa:Bounces:Enabled</c>) that accepts mail for
/// our VERP addresses and the complaint address only, and answers 250 after the report is recorded (451
/// when the database fails, so the sender tries again); a polled IMAP or POP3 mailbox
/// (<c>Lupa:Bounces:Mailbox:Host</c>); and once an hour it forgets raw reports older than
/// <c>Lupa:Bounces:RawRetentionDays</c>.
/// </summary>
public sealed class BounceService(BounceProcessor processor, LupaDatabase db, IOptions<LupaOptions> options, TimeProvider clock, ILogger<BounceService> log)
    : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private MailCatcher? _listener;
    private Task? _loop;

    /// <summary>Whether this node takes bounces in at all (and so runs the service).</summary>
    public static bool Runs(BounceOptions o) => o.Enabled || !string.IsNullOrWhiteSpace(o.Mailbox.Host);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value.Bounces;
        if (o.Enabled)
        {
            if (!IPAddress.TryParse(o.Address, out var address))
                throw new OptionsValidationException("Lupa:Bounces:Address", typeof(BounceOptions), ["Lupa:Bounces:Address must be an IP address."]);
            _listener = new MailCatcher(new IPEndPoint(address, o.Port), "lupa-bounces", o.MaxMessageKilobytes * 1024, processor.AcceptsRecipient, ReceiveAsync);
            await _listener.StartAsync();
            log.LogInformation("Bounce listener on {Address}:{Port}", o.Address, o.Port);
        }
        _loop = Task.Run(() => LoopAsync(o, _stop.Token), CancellationToken.None);
    }

    private async Task<ListenerAnswer> ReceiveAsync(CaughtMail mail, CancellationToken ct)
    {
        try
        {
            await processor.ProcessAsync(mail.Mime, mail.Recipients, BounceSources.Listener, ct);
            return ListenerAnswer.Accept;
        }
        catch (Exception e)
        {
            log.LogError(e, "A report to the bounce listener could not be recorded; the sender is asked to try again");
            return ListenerAnswer.LocalError451;
        }
    }

    private async Task LoopAsync(BounceOptions o, CancellationToken stop)
    {
        var mailbox = string.IsNullOrWhiteSpace(o.Mailbox.Host) ? null : new BounceMailbox(o.Mailbox, processor, log);
        long nextPoll = 0, nextPurge = 0;
        while (!stop.IsCancellationRequested)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            try
            {
                if (mailbox is not null && now >= nextPoll)
                {
                    nextPoll = now + o.Mailbox.PollSeconds * 1000L;
                    var n = await mailbox.PollAsync(stop);
                    if (n > 0)
                        log.LogInformation("Read {Count} messages from the bounce mailbox", n);
                }
                if (now >= nextPurge)
                {
                    nextPurge = now + 3_600_000;
                    var purged = await new BounceRecorder(db).PurgeRawAsync(now - o.RawRetentionDays * 86_400_000L, stop);
                    if (purged > 0)
                        log.LogInformation("Forgot the raw message of {Count} bounce events older than {Days} days", purged, o.RawRetentionDays);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Reading the bounce mailbox or purging raw reports failed; trying again later");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_listener is not null)
            await _listener.DisposeAsync();
        _listener = null;
        if (_loop is not null)
            await _loop;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
            await _listener.DisposeAsync();
        _stop.Dispose();
    }
}
