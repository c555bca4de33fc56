using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Lupa.Domain.Privacy;
using Lupa.Hosting;
using Lupa.Storage;
using Microsoft.Extensions.Options;

namespace Lupa.Privacy;

/// <summary>Wakes the webhook sender when a change queued deliveries, so they leave at once instead of at the next poll.</summary>
public sealed class WebhookSignal : WakeSignal;

/// <summary>
/// Sends the registered recipients' webhooks: claims due deliveries under a lease, signs each body with the recipient's
/// secret and a fresh timestamp, POSTs it, and logs the attempt. A 2xx delivers; anything else (another status, a
/// refused connection, no answer within the timeout) is tried again after an exponential backoff with jitter, until
/// <see cref="WebhookOptions.MaxAttempts"/>. The queue is in the database, so deliveries survive a restart and any
/// node may send them. Redirects are not followed, and unless allowed no private or local address is connected to.
/// </summary>
public sealed class WebhookWorker(
    LupaDatabase db,
    DataRecipientService recipients,
    WebhookSignal signal,
    IOptions<LupaOptions> options,
    TimeProvider clock,
    ILogger<WebhookWorker> log) : BackgroundService
{
    private const int BatchSize = 50;
    private const int MaxErrorLength = 500;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value.Webhooks;
        var queue = new WebhookQueue(db);
        using var http = CreateClient(o);
        // The lease covers the longest a batch can take, so another node never sends a delivery still in flight.
        var leaseMs = (long)TimeSpan.FromSeconds(o.TimeoutSeconds * Math.Ceiling(BatchSize / (double)o.Concurrency) + 60).TotalMilliseconds;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await queue.ClaimAsync(BatchSize, Now(), leaseMs, stoppingToken);
                if (batch.Count > 0)
                {
                    await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency },
                        async (d, _) => await SendAsync(http, queue, d, o));
                    continue;
                }
                // Sleep until the next retry is due, a change wakes us, or a second passes (other nodes queue too).
                var next = await queue.NextDueAsync(stoppingToken);
                var wait = next is { } due ? TimeSpan.FromMilliseconds(Math.Clamp(due - Now(), 10, 1000)) : TimeSpan.FromSeconds(1);
                await signal.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "The webhook sender failed; trying again in a second");
                await Task.Delay(1000, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    // A send in flight finishes even while the host stops (bounded by the timeout), so its attempt is logged.
    private async Task SendAsync(HttpClient http, WebhookQueue queue, ClaimedWebhook d, WebhookOptions o)
    {
        var watch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        try
        {
            var body = Encoding.UTF8.GetBytes(d.Payload);
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            var secret = recipients.Unprotect(d.Secret);
            using var request = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, d.EventId);
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.HeaderValue(secret, timestamp, body));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(o.TimeoutSeconds));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (!WebhookRetry.IsSuccess(status.Value))
                error = $"HTTP {status} {response.ReasonPhrase}".Trim();
        }
        catch (OperationCanceledException)
        {
            error = $"no answer within {o.TimeoutSeconds} s";
        }
        catch (CryptographicException)
        {
            error = "the signing secret cannot be read (the Data Protection keys changed): give the recipient a new secret";
        }
        catch (HttpRequestException e)
        {
            error = e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} {inner.Message}" : e.Message;
        }
        catch (Exception e)
        {
            error = e.Message;
        }
        var ok = status is { } s && WebhookRetry.IsSuccess(s);
        var now = Now();
        long? retryAt = ok || d.Attempts >= o.MaxAttempts
            ? null
            : now + (long)WebhookRetry.Delay(d.Attempts, TimeSpan.FromSeconds(o.RetryBaseSeconds), TimeSpan.FromSeconds(o.RetryMaxSeconds), Random.Shared.NextDouble()).TotalMilliseconds;
        if (error is { Length: > MaxErrorLength })
            error = error[..MaxErrorLength];
        try
        {
            await queue.RecordAsync(d, now, status, error, (int)Math.Min(int.MaxValue, watch.ElapsedMilliseconds), ok, retryAt, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The lease runs out and the delivery is tried again: the receiver sees the same event id twice.
            log.LogError(e, "Recording webhook delivery {DeliveryId} failed", d.Id);
            return;
        }
        if (ok)
            log.LogInformation("Webhook delivery {DeliveryId} ({EventType}) delivered to recipient {RecipientId} on attempt {Attempt}", d.Id, d.EventType, d.RecipientId, d.Attempts);
        else
            log.LogWarning("Webhook delivery {DeliveryId} to recipient {RecipientId}, attempt {Attempt}: {Error}; {Next}", d.Id, d.RecipientId, d.Attempts, error,
                retryAt is null ? "given up" : "tried again later");
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// The client webhooks go through: no proxy, no redirects, no cookies, and a connect step that refuses private and
    /// local addresses (checked on the address actually connected to, so a DNS answer cannot slip one in).
    /// </summary>
    public static HttpClient CreateClient(WebhookOptions o)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(o.TimeoutSeconds),
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host;
                var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
                var allowed = o.AllowPrivateNetworks ? addresses : addresses.Where(WebhookUrl.IsPublic).ToArray();
                if (allowed.Length == 0)
                    throw new HttpRequestException($"{host} has no public address; webhooks may not reach private or local networks (Lupa:Webhooks:AllowPrivateNetworks)");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Lupa-Webhooks/1.0");
        return client;
    }
}
