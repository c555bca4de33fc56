using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Lupa.Tests;

/// <summary>
/// A real IMAP and POP3 server for the bounce mailbox tests: Debian's Dovecot (dovecot-imapd,
/// dovecot-pop3d; scripts/test.sh installs them) with a configuration of its own in a temporary folder,
/// on 127.0.0.1 at free ports, one user, plain login without TLS. Stopped and removed on dispose.
/// </summary>
public sealed class Dovecot : IAsyncDisposable
{
    public const string User = "bounces";
    public const string Password = "mailbox-password";
    private const string Binary = "/usr/sbin/dovecot";

    private readonly Process _process;
    private readonly string _dir;

    private Dovecot(Process process, string dir, int imapPort, int pop3Port)
    {
        _process = process;
        _dir = dir;
        ImapPort = imapPort;
        Pop3Port = pop3Port;
    }

    public int ImapPort { get; }
    public int Pop3Port { get; }

    public static async Task<Dovecot> StartAsync()
    {
        Assert.True(File.Exists(Binary), "Dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d (scripts/test.sh installs them)");
        var dir = Path.Combine(Path.GetTempPath(), "lupa-dovecot-" + Guid.NewGuid().ToString("N")[..12]);
        var mail = Path.Combine(dir, "mail");
        Directory.CreateDirectory(mail);
        // The mail processes run as nobody.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(mail, (UnixFileMode)0b111_111_111);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "passwd"), $"{User}:{{PLAIN}}{Password}::::::\n");
        var imap = TestDatabase.FreePort();
        var pop3 = TestDatabase.FreePort();
        var conf = Path.Combine(dir, "dovecot.conf");
        await File.WriteAllTextAsync(conf, string.Create(CultureInfo.InvariantCulture, $$"""
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            protocols = imap pop3
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            mail_location = maildir:{{mail}}/%u
            first_valid_uid = 100
            pop3_uidl_format = %08Xu%08Xv
            passdb {
              driver = passwd-file
              args = {{dir}}/passwd
            }
            userdb {
              driver = static
              args = uid=65534 gid=65534 home={{mail}}/%u
            }
            service imap-login {
              chroot =
              inet_listener imap {
                port = {{imap}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service pop3-login {
              chroot =
              inet_listener pop3 {
                port = {{pop3}}
              }
              inet_listener pop3s {
                port = 0
              }
            }
            service anvil {
              chroot =
            }

            """));
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-F");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var process = Process.Start(psi)!;
        var server = new Dovecot(process, dir, imap, pop3);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", imap);
                using var probe2 = new TcpClient();
                await probe2.ConnectAsync("127.0.0.1", pop3);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch
            {
                var log = File.Exists(Path.Combine(dir, "dovecot.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "dovecot.log")) : "";
                await server.DisposeAsync();
                throw new InvalidOperationException("Dovecot did not start: " + log + await process.StandardError.ReadToEndAsync());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
