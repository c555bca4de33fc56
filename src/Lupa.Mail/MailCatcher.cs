using System.Buffers;
using System.Net;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Mail;
using SmtpServer.Storage;

namespace Lupa.Mail;

/// <summary>A message the catcher received: the envelope and the bytes as sent.</summary>
public sealed record CaughtMail(string MailFrom, IReadOnlyList<string> Recipients, byte[] Mime);

/// <summary>What a listener answers to a message: for the catcher always accept; test relays also refuse or hang up.</summary>
public enum ListenerAnswer
{
    /// <summary>250: taken.</summary>
    Accept,

    /// <summary>421: the service is closing; try later.</summary>
    ServiceClosing421,

    /// <summary>451: a local error; try later.</summary>
    LocalError451,

    /// <summary>550: refused for good.</summary>
    Refuse550,

    /// <summary>The connection is dropped without an answer; the message is not taken.</summary>
    Drop,
}

/// <summary>
/// The embedded mail catcher: an SMTP listener on 127.0.0.1 that hands every message it receives
/// to a store, so double opt-in can be tried with no mail server at all.
/// </summary>
public sealed class MailCatcher : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    /// <summary>Creates a catcher listening on 127.0.0.1 at <paramref name="port"/>.</summary>
    public MailCatcher(int port, Func<CaughtMail, CancellationToken, Task> store)
        : this(port, async (mail, ct) =>
        {
            await store(mail, ct);
            return ListenerAnswer.Accept;
        })
    {
    }

    /// <summary>Creates a listener on 127.0.0.1 at <paramref name="port"/> whose store decides the answer to each message.</summary>
    public MailCatcher(int port, Func<CaughtMail, CancellationToken, Task<ListenerAnswer>> store)
        : this(new IPEndPoint(IPAddress.Loopback, port), "lupa-mail-catcher", 50 * 1024 * 1024, null, store)
    {
    }

    /// <summary>
    /// Creates a listener at <paramref name="endpoint"/> that refuses at RCPT TO (550) every recipient
    /// <paramref name="acceptRecipient"/> does not accept (all, when it is null), and whose store decides
    /// the answer to each message.
    /// </summary>
    public MailCatcher(IPEndPoint endpoint, string serverName, int maxMessageSize, Func<string, bool>? acceptRecipient,
        Func<CaughtMail, CancellationToken, Task<ListenerAnswer>> store)
    {
        Endpoint = endpoint;
        var options = new SmtpServerOptionsBuilder()
            .ServerName(serverName)
            .MaxMessageSize(maxMessageSize)
            .Endpoint(b => b.Endpoint(endpoint))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new CatcherStore(store));
        services.Add(new NoDelayListenerFactory());
        if (acceptRecipient is not null)
            services.Add(new RecipientFilter(acceptRecipient));
        _server = new SmtpServer.SmtpServer(options, services);
    }

    /// <summary>The address and port it listens on.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The port it listens on.</summary>
    public int Port => Endpoint.Port;

    /// <summary>Starts listening; returns once the listener is up.</summary>
    public async Task StartAsync()
    {
        _running = _server.StartAsync(_stop.Token);
        // The listener binds asynchronously; wait until it takes a connection (or has failed).
        for (var i = 0; i < 200; i++)
        {
            if (_running.IsFaulted)
                await _running;
            try
            {
                using var probe = new System.Net.Sockets.TcpClient(Endpoint.AddressFamily);
                await probe.ConnectAsync(ProbeAddress, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(25);
            }
        }
        throw new InvalidOperationException($"The SMTP listener did not start listening on {Endpoint}.");
    }

    // A listener on every address answers on loopback too.
    private IPAddress ProbeAddress =>
        Endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : Endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : Endpoint.Address;

    private static string Address(IMailbox m) => string.IsNullOrEmpty(m.Host) ? m.User : m.User + "@" + m.Host;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // stopping: a cancelled or timed-out listener is what we asked for
            }
        }
        _stop.Dispose();
    }

    /// <summary>
    /// SmtpServer leaves Nagle's algorithm on: its small replies then wait for the client's delayed
    /// ACK and one connection takes about 22 messages a second. Linux copies TCP_NODELAY from a
    /// listening socket to the sockets it accepts, so it is set on the listener; SmtpServer keeps that
    /// listener private, hence the reflection. Without the field the catcher still works, only slower.
    /// </summary>
    private sealed class NoDelayListenerFactory : SmtpServer.Net.EndpointListenerFactory
    {
        private static readonly System.Reflection.FieldInfo? ListenerField =
            typeof(SmtpServer.Net.EndpointListener).GetField("_tcpListener", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

        public override SmtpServer.Net.IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
        {
            var listener = base.CreateListener(endpointDefinition);
            if (ListenerField?.GetValue(listener) is System.Net.Sockets.TcpListener tcp)
                tcp.Server.NoDelay = true;
            return listener;
        }
    }

    private sealed class RecipientFilter(Func<string, bool> accept) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) => Task.FromResult(accept(Address(to)));
    }

    private sealed class CatcherStore(Func<CaughtMail, CancellationToken, Task<ListenerAnswer>> store) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var mail = new CaughtMail(
                transaction.From is null ? "" : Address(transaction.From),
                transaction.To.Select(Address).ToList(),
                buffer.ToArray());
            var answer = await store(mail, cancellationToken);
            if (answer == ListenerAnswer.Drop)
            {
                // Closing the session's pipe closes the socket before any answer is written.
                context.Pipe.Dispose();
                throw new IOException("the connection was dropped");
            }
            return answer switch
            {
                ListenerAnswer.Accept => SmtpResponse.Ok,
                ListenerAnswer.ServiceClosing421 => new SmtpResponse((SmtpReplyCode)421, "4.3.2 try again later"),
                ListenerAnswer.LocalError451 => new SmtpResponse((SmtpReplyCode)451, "4.3.0 local error, try again"),
                ListenerAnswer.Refuse550 => new SmtpResponse((SmtpReplyCode)550, "5.1.1 no such user"),
                _ => throw new InvalidOperationException($"no such answer: {answer}"),
            };
        }
    }
}
