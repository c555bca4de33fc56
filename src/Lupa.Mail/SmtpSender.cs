using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Lupa.Mail;

/// <summary>What a relay said to one message.</summary>
public enum DeliveryStatus
{
    /// <summary>The relay took it (2xx).</summary>
    Accepted,

    /// <summary>A 4xx answer, a dropped connection or a time-out: try again later.</summary>
    Transient,

    /// <summary>A 5xx answer: this message will never be taken.</summary>
    Permanent,
}

/// <summary>The result of one delivery attempt, with the relay's own words on failure.</summary>
public readonly record struct DeliveryResult(DeliveryStatus Status, string? Detail)
{
    /// <summary>The relay could not be reached at all (no connection, greeting or login), so another relay may take the message.</summary>
    public bool Unreachable { get; init; }

    /// <summary>Accepted.</summary>
    public static readonly DeliveryResult Ok = new(DeliveryStatus.Accepted, null);
}

/// <summary>
/// Delivers messages to one relay over a pool of reused SMTP sessions (<see cref="SmtpConnection"/>). Each
/// session's socket has Nagle's algorithm off: with it on, the small write that ends DATA waits for a delayed
/// ACK and one connection manages about 22 messages a second instead of thousands.
/// </summary>
public sealed class SmtpSender : IAsyncDisposable
{
    // A session idle longer than this is checked with a NOOP before it carries a message: relays close idle
    // sessions (Postfix after 300 s), and a message should not be the probe.
    private const long IdleCheckMs = 20_000;

    private readonly RelayOptions _relay;
    private readonly RemoteCertificateValidationCallback? _validateCertificate;
    private readonly Channel<SmtpConnection> _idle;
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates a sender for a relay. <paramref name="validateCertificate"/> replaces the system's check of the relay's TLS certificate.</summary>
    public SmtpSender(RelayOptions relay, RemoteCertificateValidationCallback? validateCertificate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(relay.Host);
        _relay = relay;
        _validateCertificate = validateCertificate;
        _idle = Channel.CreateUnbounded<SmtpConnection>();
        _slots = new SemaphoreSlim(Math.Max(1, relay.MaxConnections));
    }

    /// <summary>The relay's settings.</summary>
    public RelayOptions Relay => _relay;

    /// <summary>
    /// Sends a finished message (the bytes of <see cref="MailComposer.ToBytes"/> or <see cref="PersonalisedMessageWriter"/>)
    /// to one recipient with the given envelope sender.
    /// </summary>
    public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> message, string mailFrom, string rcptTo, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        try
        {
            // A pooled session the relay has closed meanwhile fails before any of the message went out: the
            // message is then tried once more on a new session.
            for (var attempt = 0; ; attempt++)
            {
                SmtpConnection session;
                bool reused;
                try
                {
                    (session, reused) = await RentAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    return new DeliveryResult(DeliveryStatus.Transient, Describe(e)) { Unreachable = true };
                }
                var dataSent = new StrongBox<bool>();
                try
                {
                    var reply = await session.SendAsync(message, mailFrom, rcptTo, dataSent, ct);
                    Return(session);
                    return reply.IsPositive
                        ? DeliveryResult.Ok
                        : new DeliveryResult(reply.Code >= 500 ? DeliveryStatus.Permanent : DeliveryStatus.Transient, reply.ToString());
                }
                catch (Exception e) when (e is IOException or SocketException or TimeoutException or ObjectDisposedException)
                {
                    await session.DisposeAsync();
                    if (reused && !dataSent.Value && attempt == 0)
                        continue;
                    return new DeliveryResult(DeliveryStatus.Transient, Describe(e));
                }
                catch
                {
                    await session.DisposeAsync();
                    throw;
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Whether the relay answers: a connection is made (or an idle one checked) with a NOOP.</summary>
    public async Task<bool> ProbeAsync(CancellationToken ct)
    {
        try
        {
            var (session, _) = await RentAsync(ct);
            if (await session.NoOpAsync(ct))
            {
                Return(session);
                return true;
            }
            await session.DisposeAsync();
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<(SmtpConnection Session, bool Reused)> RentAsync(CancellationToken ct)
    {
        while (_idle.Reader.TryRead(out var idle))
        {
            if (idle.Usable && (Environment.TickCount64 - idle.LastUsedTicks < IdleCheckMs || await idle.NoOpAsync(ct)))
                return (idle, true);
            await idle.DisposeAsync();
        }
        return (await SmtpConnection.OpenAsync(_relay, _validateCertificate, ct), false);
    }

    private void Return(SmtpConnection session)
    {
        if (!session.Usable || !_idle.Writer.TryWrite(session))
            _ = session.DisposeAsync().AsTask();
    }

    private static string Describe(Exception e) => e switch
    {
        SmtpSessionException s => s.Message,
        System.Security.Authentication.AuthenticationException => "TLS: " + e.Message,
        _ => e.Message,
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _idle.Writer.TryComplete();
        while (_idle.Reader.TryRead(out var c))
            await c.DisposeAsync();
        _slots.Dispose();
    }
}
