using System.Collections.Concurrent;
using Lupa.Hosting;
using Lupa.Mail;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Outbox;

/// <summary>
/// Sends queued system mail: claims due messages under a lease, hands them to the relay (or the mail
/// catcher), and marks each sent only after the relay accepted it. A message whose lease runs out
/// because its node died is claimed again by any node.
/// </summary>
public sealed class OutboxWorker(
    LupaDatabase db,
    Lupa.Subscriptions.SubscriptionService subscriptions,
    OutboxSignal signal,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<OutboxWorker> log) : BackgroundService
{
    private const long LeaseMs = 120_000;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var relay = EffectiveRelay(o);
        if (relay is null)
        {
            log.LogWarning("No SMTP relay is configured and the mail catcher is off: system mail stays queued.");
            return;
        }
        await using var sender = new SmtpSender(relay);
        var store = new OutboxStore(db);
        log.LogInformation("Outbox sends through {Host}:{Port}", relay.Host, relay.Port);
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<OutboxRow> batch;
            try
            {
                batch = await store.ClaimAsync(o.Outbox.BatchSize, Now(), LeaseMs, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Claiming outbox messages failed");
                await Task.Delay(1000, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }
            if (batch.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }
            await SendBatchAsync(sender, store, batch, o.Outbox.Concurrency);
        }
    }

    // In-flight sends finish even while the host stops, so a graceful stop never leaves a message
    // accepted by the relay but not marked sent.
    private async Task SendBatchAsync(SmtpSender sender, OutboxStore store, IReadOnlyList<OutboxRow> batch, int concurrency)
    {
        var sent = new ConcurrentBag<long>();
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (row, _) =>
        {
            DeliveryResult result;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var message = row.Mime.Length > 0 ? row.Mime : await subscriptions.RenderAsync(row, timeout.Token);
                if (message is null)
                {
                    await store.MarkFailedAsync(row.Id, "nothing to send any more: the subscription no longer waits for this confirmation", true, 0, Now(), CancellationToken.None);
                    return;
                }
                result = await sender.SendAsync(message, row.MailFrom, row.RcptTo, timeout.Token);
            }
            catch (Exception e)
            {
                result = new DeliveryResult(DeliveryStatus.Transient, e.Message);
            }
            if (result.Status == DeliveryStatus.Accepted)
            {
                sent.Add(row.Id);
                return;
            }
            var permanent = result.Status == DeliveryStatus.Permanent || row.Attempts >= 12;
            var backoff = (long)Math.Min(3_600_000, 5_000 * Math.Pow(2, Math.Max(0, row.Attempts - 1)));
            var jitter = Random.Shared.NextInt64(0, backoff / 4 + 1);
            log.LogWarning("Outbox message {Id} {Outcome}: {Detail}", row.Id, permanent ? "failed" : "will be retried", result.Detail);
            await store.MarkFailedAsync(row.Id, result.Detail ?? "unknown", permanent, Now() + backoff + jitter, Now(), CancellationToken.None);
        });
        if (!sent.IsEmpty)
            await store.MarkSentAsync(sent, Now(), CancellationToken.None);
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The relay in force: the configured one, else the embedded catcher when it runs.</summary>
    public static RelayOptions? EffectiveRelay(LupaOptions o)
    {
        if (!string.IsNullOrWhiteSpace(o.Smtp.Host))
            return o.Smtp;
        if (CatcherEnabled(o))
            return new RelayOptions { Host = "127.0.0.1", Port = o.MailCatcher.Port, Tls = "none", MaxConnections = o.Outbox.Concurrency };
        return null;
    }

    /// <summary>Whether the embedded catcher runs: as configured, else when no relay is set.</summary>
    public static bool CatcherEnabled(LupaOptions o) => o.MailCatcher.Enabled ?? string.IsNullOrWhiteSpace(o.Smtp.Host);
}

/// <summary>
/// Runs the embedded mail catcher and keeps what it receives in the database. Messages arriving
/// together are written in one transaction, so a burst of confirmations does not queue one write per
/// message behind the form's writes.
/// </summary>
public sealed class MailCatcherService(LupaDatabase db, IOptions<LupaOptions> options, TimeProvider clock, ILogger<MailCatcherService> log) : IHostedService, IAsyncDisposable
{
    private readonly System.Threading.Channels.Channel<CaughtMail> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<CaughtMail>(new() { SingleReader = true });
    private MailCatcher? _catcher;
    private Task? _writer;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OutboxWorker.CatcherEnabled(options.Value))
            return;
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        // The catcher answers 250 as soon as the message is queued for the batch writer, as a relay
        // does once it has the message: waiting for the database here would tie the sender's pace
        // to the form's writes. StopAsync drains the queue, so a graceful stop keeps every message.
        _catcher = new MailCatcher(options.Value.MailCatcher.Port, (mail, ct) => _queue.Writer.WriteAsync(mail, ct).AsTask());
        await _catcher.StartAsync();
        log.LogInformation("Mail catcher listening on 127.0.0.1:{Port}", options.Value.MailCatcher.Port);
    }

    private async Task WriteAsync()
    {
        var store = new SystemStore(db);
        var batch = new List<CaughtMail>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < 500 && _queue.Reader.TryRead(out var item))
                batch.Add(item);
            try
            {
                var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                var rows = new List<(long, string, string, string, string?, byte[])>();
                foreach (var mail in batch)
                {
                    var (subject, messageId) = Headers(mail.Mime);
                    foreach (var rcpt in mail.Recipients)
                        rows.Add((now, mail.MailFrom, rcpt, subject, messageId, mail.Mime));
                }
                await store.AddCaughtMessagesAsync(rows);
            }
            catch (Exception e)
            {
                log.LogError(e, "The mail catcher could not store {Count} messages", batch.Count);
            }
            batch.Clear();
        }
    }

    // Only the headers are parsed: the subject and Message-ID are all the list view needs.
    private static (string Subject, string? MessageId) Headers(byte[] mime)
    {
        using var stream = new MemoryStream(mime, writable: false);
        var headers = MimeKit.HeaderList.Load(stream);
        var id = headers[MimeKit.HeaderId.MessageId]?.Trim().Trim('<', '>');
        return (headers[MimeKit.HeaderId.Subject] ?? "", string.IsNullOrEmpty(id) ? null : id);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_catcher is not null)
            await _catcher.DisposeAsync();
        _catcher = null;
        _queue.Writer.TryComplete();
        if (_writer is not null)
            await _writer;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_catcher is not null)
            await _catcher.DisposeAsync();
        _queue.Writer.TryComplete();
    }
}
