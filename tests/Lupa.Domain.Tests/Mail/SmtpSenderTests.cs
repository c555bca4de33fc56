using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Lupa.Mail;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Lupa.Domain.Tests.Mail;

/// <summary>Lupa's SMTP client against real SMTP listeners on 127.0.0.1: the catcher, and one with TLS and AUTH.</summary>
public sealed class SmtpSenderTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes(
        "From: a@example.test\nTo: b@example.test\nSubject: dots\n\n.starts with a dot\n..two dots\n.\nmiddle . dot\r\nlast line without break");

    private static string Expected => "From: a@example.test\r\nTo: b@example.test\r\nSubject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nmiddle . dot\r\nlast line without break\r\n";

    // SmtpServer keeps the CRLF before the terminating dot line out of the message it stores.
    private static string Stored => Expected[..^2];

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void Dot_stuffing_doubles_a_leading_dot_ends_every_line_with_crlf_and_adds_the_final_dot()
    {
        var output = new byte[Message.Length * 2 + 5];
        var n = SmtpConnection.DotStuff(Message, output);
        Assert.Equal(Expected.Replace("\n.", "\n..", StringComparison.Ordinal) + ".\r\n", Encoding.ASCII.GetString(output, 0, n));
        Assert.Equal(".\r\n", Encoding.ASCII.GetString(output, 0, SmtpConnection.DotStuff([], output)));
    }

    [Fact]
    public async Task A_message_arrives_byte_for_byte_and_many_share_one_pipelined_session()
    {
        var caught = new ConcurrentQueue<CaughtMail>();
        var port = FreePort();
        await using var catcher = new MailCatcher(port, (m, _) => { caught.Enqueue(m); return Task.CompletedTask; });
        await catcher.StartAsync();
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = port, MaxConnections = 1 });
        for (var i = 0; i < 20; i++)
            Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "bounce+1@example.test", $"person{i}@example.test", CancellationToken.None)).Status);
        Assert.Equal(20, caught.Count);
        var first = caught.First();
        Assert.Equal("bounce+1@example.test", first.MailFrom);
        Assert.Equal(["person0@example.test"], first.Recipients);
        Assert.Equal(Stored, Encoding.ASCII.GetString(first.Mime));
    }

    [Fact]
    public async Task A_refusal_is_permanent_or_transient_by_its_code_and_the_session_goes_on()
    {
        var answers = new ConcurrentQueue<ListenerAnswer>([ListenerAnswer.Refuse550, ListenerAnswer.LocalError451, ListenerAnswer.Accept]);
        var port = FreePort();
        await using var catcher = new MailCatcher(port, (_, _) => Task.FromResult(answers.TryDequeue(out var a) ? a : ListenerAnswer.Accept));
        await catcher.StartAsync();
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = port, MaxConnections = 1 });
        var refused = await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Permanent, refused.Status);
        Assert.Equal("550 5.1.1 no such user", refused.Detail);
        var later = await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Transient, later.Status);
        Assert.StartsWith("451 ", later.Detail);
        Assert.False(later.Unreachable);
        Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_recipient_refused_at_rcpt_is_reported_with_the_relays_words()
    {
        var port = FreePort();
        await using var catcher = new MailCatcher(new IPEndPoint(IPAddress.Loopback, port), "relay", 1 << 20, to => to != "gone@example.test",
            (_, _) => Task.FromResult(ListenerAnswer.Accept));
        await catcher.StartAsync();
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = port, MaxConnections = 1 });
        var result = await sender.SendAsync(Message, "a@example.test", "gone@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Permanent, result.Status);
        Assert.StartsWith("550", result.Detail);
        Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "here@example.test", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task A_dropped_connection_is_transient_and_the_next_message_gets_a_new_session()
    {
        var answers = new ConcurrentQueue<ListenerAnswer>([ListenerAnswer.Accept, ListenerAnswer.Drop]);
        var port = FreePort();
        await using var catcher = new MailCatcher(port, (_, _) => Task.FromResult(answers.TryDequeue(out var a) ? a : ListenerAnswer.Accept));
        await catcher.StartAsync();
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = port, MaxConnections = 1 });
        Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None)).Status);
        // The message went out before the drop, so it is not sent again on its own: the caller retries it later.
        var dropped = await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Transient, dropped.Status);
        Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Nothing_listening_is_unreachable()
    {
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = FreePort(), TimeoutSeconds = 5 });
        var result = await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Transient, result.Status);
        Assert.True(result.Unreachable);
        Assert.False(await sender.ProbeAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("starttls")]
    [InlineData("tls")]
    public async Task Tls_and_login_reach_a_relay_that_demands_both(string tls)
    {
        using var certificate = SelfSigned();
        await using var relay = await SecureRelay.StartAsync(certificate, implicitTls: tls == "tls");
        var options = new RelayOptions { Host = "127.0.0.1", Port = relay.Port, Tls = tls, Username = "lupa", Password = "sala sana ä" };
        await using var sender = new SmtpSender(options, Trust(certificate));
        Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None)).Status);
        Assert.Equal(Stored, Encoding.ASCII.GetString(relay.Received.Single()));
        Assert.Equal(["lupa"], relay.Logins);

        options.Password = "wrong";
        await using var refused = new SmtpSender(options, Trust(certificate));
        var result = await refused.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.Equal(DeliveryStatus.Transient, result.Status);
        Assert.True(result.Unreachable);
        Assert.Contains("535", result.Detail);
    }

    [Fact]
    public async Task A_certificate_the_system_does_not_trust_is_refused()
    {
        using var certificate = SelfSigned();
        await using var relay = await SecureRelay.StartAsync(certificate, implicitTls: false);
        await using var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = relay.Port, Tls = "starttls" });
        var result = await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None);
        Assert.True(result.Unreachable);
        Assert.StartsWith("TLS:", result.Detail);
        Assert.Empty(relay.Received);
    }

    [Fact]
    public async Task A_relay_without_pipelining_gets_one_command_at_a_time_and_helo_when_it_refuses_ehlo()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var commands = new ConcurrentQueue<string>();
        var early = false;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            // One byte at a time, so whatever the client sent ahead is still in the socket to be seen.
            async Task<string?> ReadLineAsync()
            {
                var line = new List<byte>();
                var one = new byte[1];
                while (await stream.ReadAsync(one) == 1)
                {
                    if (one[0] == (byte)'\n')
                        return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
                    line.Add(one[0]);
                }
                return null;
            }
            async Task Say(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            await Say("220 old-relay ESMTP");
            while (await ReadLineAsync() is { } line)
            {
                // Anything already waiting before this command's reply is a command sent ahead of its turn.
                early |= client.Available > 0;
                commands.Enqueue(line.Split(' ')[0].Split(':')[0]);
                if (line.StartsWith("EHLO", StringComparison.Ordinal))
                    await Say("502 5.5.1 EHLO not implemented");
                else if (line.StartsWith("DATA", StringComparison.Ordinal))
                {
                    await Say("354 go ahead");
                    while (await ReadLineAsync() is { } body && body != ".")
                    {
                    }
                    commands.Enqueue("<message>");
                    await Say("250 2.0.0 queued");
                }
                else if (line.StartsWith("QUIT", StringComparison.Ordinal))
                {
                    await Say("221 bye");
                    break;
                }
                else
                    await Say("250 ok");
            }
        });
        await using (var sender = new SmtpSender(new RelayOptions { Host = "127.0.0.1", Port = port, MaxConnections = 1 }))
        {
            Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "b@example.test", CancellationToken.None)).Status);
            Assert.Equal(DeliveryStatus.Accepted, (await sender.SendAsync(Message, "a@example.test", "c@example.test", CancellationToken.None)).Status);
        }
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        listener.Stop();
        Assert.False(early, "a command was sent before the reply to the one before it");
        Assert.Equal(["EHLO", "HELO", "MAIL", "RCPT", "DATA", "<message>", "MAIL", "RCPT", "DATA", "<message>", "QUIT"], commands);
    }

    private static RemoteCertificateValidationCallback Trust(X509Certificate2 certificate) =>
        (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }

    /// <summary>An SMTP listener that wants TLS (STARTTLS or from the first byte) and a login before it takes mail.</summary>
    private sealed class SecureRelay : IAsyncDisposable
    {
        private readonly SmtpServer.SmtpServer _server;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public int Port { get; }
        public ConcurrentQueue<byte[]> Received { get; } = new();
        public ConcurrentQueue<string> Logins { get; } = new();

        private SecureRelay(X509Certificate2 certificate, bool implicitTls, int port)
        {
            Port = port;
            var options = new SmtpServerOptionsBuilder()
                .ServerName("secure-relay")
                .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, port)).Certificate(certificate).IsSecure(implicitTls)
                    .AllowUnsecureAuthentication(false).AuthenticationRequired())
                .Build();
            var services = new SmtpServer.ComponentModel.ServiceProvider();
            services.Add(new Store(this));
            services.Add(new Login(this));
            _server = new SmtpServer.SmtpServer(options, services);
            _running = _server.StartAsync(_stop.Token);
        }

        public static async Task<SecureRelay> StartAsync(X509Certificate2 certificate, bool implicitTls)
        {
            var relay = new SecureRelay(certificate, implicitTls, FreePort());
            for (var i = 0; i < 200; i++)
            {
                try
                {
                    using var probe = new System.Net.Sockets.TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, relay.Port);
                    return relay;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    await Task.Delay(25);
                }
            }
            throw new InvalidOperationException("the test relay did not start");
        }

        public async ValueTask DisposeAsync()
        {
            _server.Shutdown();
            await _stop.CancelAsync();
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // stopped
            }
            _stop.Dispose();
        }

        private sealed class Store(SecureRelay relay) : MessageStore
        {
            public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
            {
                relay.Received.Enqueue(buffer.ToArray());
                return Task.FromResult(SmtpResponse.Ok);
            }
        }

        private sealed class Login(SecureRelay relay) : IUserAuthenticator
        {
            public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
            {
                var ok = user == "lupa" && password == "sala sana ä";
                if (ok)
                    relay.Logins.Enqueue(user);
                return Task.FromResult(ok);
            }
        }
    }
}
