using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Lupa.Mail;

/// <summary>One reply of an SMTP server: its code and its text (the lines of a multi-line reply joined by spaces).</summary>
public readonly record struct SmtpReply(int Code, string Text)
{
    /// <summary>2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 300;

    /// <summary>The code and the text, as relays' words are shown and stored.</summary>
    public override string ToString() => $"{Code} {Text}".Trim();
}

/// <summary>The server answered a step of the session set-up (greeting, EHLO, STARTTLS, AUTH) with something else than asked.</summary>
public sealed class SmtpSessionException(SmtpReply reply, string step) : IOException($"{step}: {reply}")
{
    /// <summary>The reply.</summary>
    public SmtpReply Reply { get; } = reply;
}

/// <summary>
/// One SMTP session with a relay (RFC 5321), for sending finished messages as bytes: EHLO, STARTTLS or TLS from the
/// first byte, AUTH PLAIN or LOGIN, and per message MAIL, RCPT and DATA, pipelined when the relay offers
/// PIPELINING (RFC 2920). The message goes out as it was written, with only the dot-stuffing (and CRLF for any
/// bare LF) added, in one write. MailKit's client serialises a MimeKit message again through a chain of filtering
/// streams, which cost a campaign send about a tenth of its CPU.
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private Stream _stream;
    private readonly byte[] _in = new byte[4096];
    private int _start;
    private int _end;
    private readonly TimeSpan _timeout;

    private SmtpConnection(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _timeout = timeout;
    }

    /// <summary>Whether the relay pipelines commands.</summary>
    public bool Pipelining { get; private set; }

    /// <summary>Whether the relay takes addresses in UTF-8 (RFC 6531).</summary>
    public bool SmtpUtf8 { get; private set; }

    /// <summary>Whether the relay takes 8-bit bodies (RFC 6152).</summary>
    public bool EightBitMime { get; private set; }

    /// <summary>When this session last finished a command; an idle session may have been closed by the relay.</summary>
    public long LastUsedTicks { get; private set; } = Environment.TickCount64;

    /// <summary>Whether the session can take another message.</summary>
    public bool Usable { get; private set; } = true;

    /// <summary>Connects, greets, secures and logs in as the relay's settings say.</summary>
    public static async Task<SmtpConnection> OpenAsync(RelayOptions relay, RemoteCertificateValidationCallback? validateCertificate, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, relay.TimeoutSeconds));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SmtpConnection? connection = null;
        try
        {
            await socket.ConnectAsync(relay.Host!, relay.Port, deadline.Token);
            connection = new SmtpConnection(socket, timeout);
            var tls = relay.Tls?.Trim().ToLowerInvariant();
            if (tls == "tls")
                await connection.SecureAsync(relay.Host!, validateCertificate, deadline.Token);
            Expect(await connection.ReadReplyAsync(null, deadline.Token), 220, "greeting");
            await connection.HelloAsync(deadline.Token);
            if (tls == "starttls")
            {
                if (!connection._extensions.Contains("STARTTLS"))
                    throw new SmtpSessionException(new SmtpReply(0, "the relay does not offer STARTTLS"), "STARTTLS");
                Expect(await connection.CommandAsync("STARTTLS", deadline.Token), 220, "STARTTLS");
                await connection.SecureAsync(relay.Host!, validateCertificate, deadline.Token);
                await connection.HelloAsync(deadline.Token);
            }
            if (!string.IsNullOrEmpty(relay.Username))
                await connection.AuthenticateAsync(relay.Username, relay.Password ?? "", deadline.Token);
            return connection;
        }
        catch
        {
            if (connection is not null)
                await connection.DisposeAsync();
            else
                socket.Dispose();
            throw;
        }
    }

    private readonly HashSet<string> _extensions = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _authMechanisms = new(StringComparer.OrdinalIgnoreCase);

    private async Task SecureAsync(string host, RemoteCertificateValidationCallback? validateCertificate, CancellationToken ct)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            RemoteCertificateValidationCallback = validateCertificate,
        }, ct);
        _stream = ssl;
        _start = _end = 0;
    }

    private async Task HelloAsync(CancellationToken ct)
    {
        var name = _socket.LocalEndPoint is IPEndPoint local
            ? local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{local.Address}]" : $"[{local.Address}]"
            : "[127.0.0.1]";
        var (reply, lines) = await CommandLinesAsync("EHLO " + name, ct);
        _extensions.Clear();
        _authMechanisms.Clear();
        if (!reply.IsPositive)
        {
            Expect(await CommandAsync("HELO " + name, ct), 250, "HELO");
            return;
        }
        foreach (var line in lines.Skip(1))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
                continue;
            _extensions.Add(words[0]);
            if (words[0].Equals("AUTH", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var m in words.Skip(1))
                    _authMechanisms.Add(m);
            }
        }
        Pipelining = _extensions.Contains("PIPELINING");
        SmtpUtf8 = _extensions.Contains("SMTPUTF8");
        EightBitMime = _extensions.Contains("8BITMIME");
    }

    private async Task AuthenticateAsync(string user, string password, CancellationToken ct)
    {
        if (_authMechanisms.Contains("PLAIN"))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0" + user + "\0" + password));
            Expect(await CommandAsync("AUTH PLAIN " + token, ct), 235, "AUTH PLAIN");
            return;
        }
        if (_authMechanisms.Contains("LOGIN"))
        {
            Expect(await CommandAsync("AUTH LOGIN", ct), 334, "AUTH LOGIN");
            Expect(await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(user)), ct), 334, "AUTH LOGIN");
            Expect(await CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), ct), 235, "AUTH LOGIN");
            return;
        }
        throw new SmtpSessionException(new SmtpReply(0, "the relay offers neither PLAIN nor LOGIN after " + (_stream is SslStream ? "TLS" : "EHLO")), "AUTH");
    }

    private static void Expect(SmtpReply reply, int code, string step)
    {
        if (reply.Code != code)
            throw new SmtpSessionException(reply, step);
    }

    /// <summary>
    /// Sends one message to one recipient. Returns the relay's reply to the message (or to the first command it
    /// refused); throws <see cref="IOException"/> when the session broke, with <paramref name="dataSent"/> telling
    /// whether any of the message had gone out by then.
    /// </summary>
    public async Task<SmtpReply> SendAsync(ReadOnlyMemory<byte> message, string mailFrom, string rcptTo, StrongBox<bool> dataSent, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        var token = deadline.Token;
        try
        {
            var utf8 = !Ascii.IsValid(mailFrom) || !Ascii.IsValid(rcptTo);
            if (utf8 && !SmtpUtf8)
                return new SmtpReply(553, "5.6.7 the relay does not take addresses in UTF-8 (no SMTPUTF8)");
            var mail = "MAIL FROM:<" + mailFrom + ">"
                + (utf8 ? " SMTPUTF8" : "")
                + (EightBitMime && !Ascii.IsValid(message.Span) ? " BODY=8BITMIME" : "");
            var rcpt = "RCPT TO:<" + rcptTo + ">";
            SmtpReply mailReply, rcptReply, dataReply;
            if (Pipelining)
            {
                await WriteAsync(Encoding.UTF8.GetBytes(mail + "\r\n" + rcpt + "\r\nDATA\r\n"), token);
                mailReply = await ReadReplyAsync(null, token);
                rcptReply = await ReadReplyAsync(null, token);
                dataReply = await ReadReplyAsync(null, token);
            }
            else
            {
                mailReply = await CommandAsync(mail, token);
                rcptReply = mailReply.IsPositive ? await CommandAsync(rcpt, token) : default;
                dataReply = mailReply.IsPositive && rcptReply.IsPositive ? await CommandAsync("DATA", token) : default;
            }
            if (!mailReply.IsPositive || !rcptReply.IsPositive || dataReply.Code != 354)
            {
                if (dataReply.Code == 354)
                {
                    // A relay that opened DATA though it refused the envelope gets an empty message, then RSET.
                    await WriteAsync(".\r\n"u8.ToArray(), token);
                    await ReadReplyAsync(null, token);
                }
                await ResetAsync(token);
                return !mailReply.IsPositive ? mailReply : !rcptReply.IsPositive ? rcptReply : dataReply;
            }
            dataSent.Value = true;
            var buffer = ArrayPool<byte>.Shared.Rent(message.Length * 2 + 5);
            try
            {
                var n = DotStuff(message.Span, buffer);
                await WriteAsync(buffer.AsMemory(0, n), token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            var reply = await ReadReplyAsync(null, token);
            if (reply.Code == 421)
                Usable = false;
            return reply;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Usable = false;
            throw new TimeoutException($"The relay did not answer within {_timeout.TotalSeconds:0} seconds.");
        }
        catch
        {
            Usable = false;
            throw;
        }
    }

    /// <summary>A NOOP: whether the session still answers.</summary>
    public async Task<bool> NoOpAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        try
        {
            return (await CommandAsync("NOOP", deadline.Token)).IsPositive;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            Usable = false;
            return false;
        }
    }

    private async Task ResetAsync(CancellationToken ct)
    {
        var reply = await CommandAsync("RSET", ct);
        if (!reply.IsPositive)
            Usable = false;
    }

    /// <summary>
    /// The DATA content: every line ends with CRLF (a bare LF becomes CRLF), a line that begins with a dot gets a
    /// second one (RFC 5321 section 4.5.2), and the terminating dot line follows. <paramref name="output"/> must
    /// hold twice the input and five bytes more.
    /// </summary>
    public static int DotStuff(ReadOnlySpan<byte> message, Span<byte> output)
    {
        var o = 0;
        foreach (var line in new TextLines(message, endEndsLine: true))
        {
            if (line.Length > 0 && line[0] == (byte)'.')
                output[o++] = (byte)'.';
            line.CopyTo(output[o..]);
            o += line.Length;
            output[o++] = (byte)'\r';
            output[o++] = (byte)'\n';
        }
        ".\r\n"u8.CopyTo(output[o..]);
        return o + 3;
    }

    private async Task<SmtpReply> CommandAsync(string command, CancellationToken ct) => (await CommandLinesAsync(command, ct)).Reply;

    private async Task<(SmtpReply Reply, List<string> Lines)> CommandLinesAsync(string command, CancellationToken ct)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), ct);
        var lines = new List<string>(4);
        var reply = await ReadReplyAsync(lines, ct);
        return (reply, lines);
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await _stream.WriteAsync(bytes, ct);
        await _stream.FlushAsync(ct);
    }

    /// <summary>Reads one reply, all its lines ("250-…" until "250 …").</summary>
    private async Task<SmtpReply> ReadReplyAsync(List<string>? lines, CancellationToken ct)
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(ct);
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                throw new IOException($"The relay's reply is not SMTP: \"{Shorten(line)}\"");
            var rest = line.Length > 4 ? line[4..] : "";
            lines?.Add(rest);
            if (text.Length > 0)
                text.Append(' ');
            text.Append(rest);
            if (line.Length == 3 || line[3] == ' ')
            {
                LastUsedTicks = Environment.TickCount64;
                if (code == 421)
                    Usable = false;
                return new SmtpReply(code, text.ToString());
            }
            if (line[3] != '-')
                throw new IOException($"The relay's reply is not SMTP: \"{Shorten(line)}\"");
        }
    }

    private static string Shorten(string s) => s.Length > 80 ? s[..80] + "…" : s;

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var lf = _in.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = _in.AsSpan(_start, lf);
                _start += lf + 1;
                if (line.Length > 0 && line[^1] == (byte)'\r')
                    line = line[..^1];
                return Encoding.UTF8.GetString(line);
            }
            if (_start > 0)
            {
                _in.AsSpan(_start, _end - _start).CopyTo(_in);
                _end -= _start;
                _start = 0;
            }
            if (_end == _in.Length)
                throw new IOException("The relay sent a reply line longer than 4,096 bytes.");
            var n = await _stream.ReadAsync(_in.AsMemory(_end), ct);
            if (n == 0)
                throw new IOException("The relay closed the connection.");
            _end += n;
        }
    }

    /// <summary>Says QUIT (briefly) and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Usable)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await WriteAsync("QUIT\r\n"u8.ToArray(), quick.Token);
            }
            catch (Exception)
            {
                // closing anyway
            }
        }
        Usable = false;
        await _stream.DisposeAsync();
    }
}
