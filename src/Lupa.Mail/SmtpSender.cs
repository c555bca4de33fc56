using System.Net.Sockets;
using System.Threading.Channels;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

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
/// Delivers messages to one relay over a pool of reused SMTP connections. Each connection's socket
/// has Nagle's algorithm off: with it on, the small write that ends DATA waits for a delayed ACK and
/// one connection manages about 22 messages a second instead of thousands.
/// </summary>
public sealed class SmtpSender : IAsyncDisposable
{
    private readonly RelayOptions _relay;
    private readonly Channel<SmtpClient> _idle;
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates a sender for a relay.</summary>
    public SmtpSender(RelayOptions relay)
    {
        ArgumentException.ThrowIfNullOrEmpty(relay.Host);
        _relay = relay;
        _idle = Channel.CreateUnbounded<SmtpClient>();
        _slots = new SemaphoreSlim(Math.Max(1, relay.MaxConnections));
    }

    /// <summary>The relay's settings.</summary>
    public RelayOptions Relay => _relay;

    /// <summary>Sends an already built message to one recipient with the given envelope sender.</summary>
    public async Task<DeliveryResult> SendAsync(MimeMessage message, string mailFrom, string rcptTo, CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        SmtpClient? client = null;
        try
        {
            try
            {
                client = await RentAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                return new DeliveryResult(DeliveryStatus.Transient, e.Message) { Unreachable = true };
            }
            await client.SendAsync(message, MailboxAddress.Parse(mailFrom), [MailboxAddress.Parse(rcptTo)], ct);
            _idle.Writer.TryWrite(client);
            client = null;
            return DeliveryResult.Ok;
        }
        catch (SmtpCommandException e)
        {
            var code = (int)e.StatusCode;
            var detail = $"{code} {e.Message}".Trim();
            // After a refused command the session is still usable once reset.
            if (client is not null && client.IsConnected)
            {
                try
                {
                    await client.NoOpAsync(ct);
                    _idle.Writer.TryWrite(client);
                    client = null;
                }
                catch (Exception)
                {
                    // the connection is broken after all; it is thrown away below
                }
            }
            return new DeliveryResult(code >= 500 ? DeliveryStatus.Permanent : DeliveryStatus.Transient, detail);
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException or TimeoutException or SslHandshakeException or AuthenticationException)
        {
            return new DeliveryResult(DeliveryStatus.Transient, e.Message);
        }
        finally
        {
            if (client is not null)
                await DiscardAsync(client);
            _slots.Release();
        }
    }

    /// <summary>Whether the relay answers: a connection is made (or an idle one checked) with a NOOP.</summary>
    public async Task<bool> ProbeAsync(CancellationToken ct)
    {
        SmtpClient? client = null;
        try
        {
            client = await RentAsync(ct);
            await client.NoOpAsync(ct);
            _idle.Writer.TryWrite(client);
            client = null;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (client is not null)
                await DiscardAsync(client);
        }
    }

    private async Task<SmtpClient> RentAsync(CancellationToken ct)
    {
        while (_idle.Reader.TryRead(out var idle))
        {
            if (idle.IsConnected)
                return idle;
            await DiscardAsync(idle);
        }
        var client = new SmtpClient { Timeout = _relay.TimeoutSeconds * 1000 };
        try
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_relay.Host!, _relay.Port, ct);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            var tls = _relay.Tls?.ToLowerInvariant() switch
            {
                "starttls" => SecureSocketOptions.StartTls,
                "tls" => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(socket, _relay.Host!, _relay.Port, tls, ct);
            if (!string.IsNullOrEmpty(_relay.Username))
                await client.AuthenticateAsync(_relay.Username, _relay.Password ?? "", ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task DiscardAsync(SmtpClient client)
    {
        try
        {
            if (client.IsConnected)
                await client.DisconnectAsync(true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
            // closing a broken connection; nothing more to do
        }
        client.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _idle.Writer.TryComplete();
        while (_idle.Reader.TryRead(out var c))
            await DiscardAsync(c);
        _slots.Dispose();
    }
}
