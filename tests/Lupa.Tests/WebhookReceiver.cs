using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lupa.Tests;

/// <summary>
/// A recipient's webhook endpoint on Kestrel at 127.0.0.1: records every request as it arrived and answers 500 to the
/// first <c>failFirst</c> of them, 204 after.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Hook> _received = new();
    private int _count;

    /// <summary>One request as received.</summary>
    public sealed record Hook(string? Id, string? Timestamp, string? Signature, byte[] Body, int AnsweredWith, DateTimeOffset At)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Type => Json.GetProperty("type").GetString()!;

        public string Text => Encoding.UTF8.GetString(Body);
    }

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where to send webhooks.</summary>
    public string Url { get; }

    /// <summary>Every request so far, in order.</summary>
    public IReadOnlyList<Hook> Received => [.. _received];

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var port = TestDatabase.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? self = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var n = Interlocked.Increment(ref self!._count);
            var status = n <= failFirst ? 500 : 204;
            self._received.Enqueue(new Hook(context.Request.Headers["Lupa-Webhook-Id"], context.Request.Headers["Lupa-Webhook-Timestamp"],
                context.Request.Headers["Lupa-Signature"], body.ToArray(), status, DateTimeOffset.UtcNow));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        self = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hook");
        return self;
    }

    /// <summary>Waits until <paramref name="count"/> requests have arrived (or the timeout), and returns them all.</summary>
    public async Task<IReadOnlyList<Hook>> WaitForAsync(int count, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (_received.Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(25);
        return Received;
    }

    /// <summary>
    /// Verifies a signature the way docs/api.md tells a receiver to: HMAC-SHA256 with the secret over the timestamp, a
    /// full stop and the raw body, compared in constant time, the timestamp within five minutes.
    /// </summary>
    public static bool Verify(string secret, Hook hook)
    {
        var parts = (hook.Signature ?? "").Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToLookup(p => p[0], p => p[1]);
        if (!long.TryParse(parts["t"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t)
            || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t) > 300)
            return false;
        var signed = Encoding.UTF8.GetBytes(t.ToString(CultureInfo.InvariantCulture) + ".").Concat(hook.Body).ToArray();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return parts["v1"].Any(v => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v)));
    }

    /// <summary>The addressHash a recipient computes for an address it holds.</summary>
    public static string AddressHash(string secret, string address) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("lupa.subject:" + address.Trim().ToLowerInvariant())));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
