using Lupa.Domain.Bounces;
using Lupa.Hosting;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Search;
using MailKit.Security;

namespace Lupa.Bounces;

/// <summary>
/// Reads a mailbox that collects bounces and complaints (for installations whose return-path domain's
/// MX is not Lupa) over IMAP or POP3, hands each message to the <see cref="BounceProcessor"/>, and
/// deletes what it processed. A message whose processing failed (the database did not answer) stays
/// for the next poll; a report recorded twice (two nodes reading one mailbox) counts once.
/// </summary>
public sealed class BounceMailbox(BounceMailboxOptions o, BounceProcessor processor, ILogger log)
{
    private const int MaxPerPoll = 500;

    /// <summary>Reads what is there now. Returns how many messages were processed (and deleted).</summary>
    public Task<int> PollAsync(CancellationToken ct) =>
        string.Equals(o.Protocol, "pop3", StringComparison.OrdinalIgnoreCase) ? PollPop3Async(ct) : PollImapAsync(ct);

    private SecureSocketOptions Tls => o.Tls.ToLowerInvariant() switch
    {
        "none" => SecureSocketOptions.None,
        "starttls" => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.SslOnConnect,
    };

    private int Port(int tlsPort, int plainPort) => o.Port > 0 ? o.Port : Tls == SecureSocketOptions.SslOnConnect ? tlsPort : plainPort;

    private async Task<int> PollImapAsync(CancellationToken ct)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(o.Host!, Port(993, 143), Tls, ct);
        await client.AuthenticateAsync(o.Username ?? "", o.Password ?? "", ct);
        var folder = string.Equals(o.Folder, "INBOX", StringComparison.OrdinalIgnoreCase) ? client.Inbox : await client.GetFolderAsync(o.Folder, ct);
        await folder.OpenAsync(FolderAccess.ReadWrite, ct);
        var uids = await folder.SearchAsync(SearchQuery.NotDeleted, ct);
        var done = new List<UniqueId>();
        try
        {
            foreach (var uid in uids.Take(MaxPerPoll))
            {
                using var stream = await folder.GetStreamAsync(uid, string.Empty, ct);
                if (!await ProcessAsync(await ReadAsync(stream, ct), ct))
                    break;
                done.Add(uid);
            }
        }
        finally
        {
            if (done.Count > 0)
            {
                await folder.AddFlagsAsync(done, MessageFlags.Deleted, silent: true, CancellationToken.None);
                await folder.ExpungeAsync(CancellationToken.None);
            }
            await client.DisconnectAsync(true, CancellationToken.None);
        }
        return done.Count;
    }

    private async Task<int> PollPop3Async(CancellationToken ct)
    {
        using var client = new Pop3Client();
        await client.ConnectAsync(o.Host!, Port(995, 110), Tls, ct);
        await client.AuthenticateAsync(o.Username ?? "", o.Password ?? "", ct);
        var done = 0;
        try
        {
            for (var i = 0; i < Math.Min(client.Count, MaxPerPoll); i++)
            {
                using var stream = await client.GetStreamAsync(i, false, ct);
                if (!await ProcessAsync(await ReadAsync(stream, ct), ct))
                    break;
                await client.DeleteMessageAsync(i, ct);
                done++;
            }
        }
        finally
        {
            // QUIT commits the deletions.
            await client.DisconnectAsync(true, CancellationToken.None);
        }
        return done;
    }

    // False when the message could not be processed for now (it stays in the mailbox).
    private async Task<bool> ProcessAsync(byte[] mime, CancellationToken ct)
    {
        try
        {
            await processor.ProcessAsync(mime, [], BounceSources.Mailbox, ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "A message from the bounce mailbox could not be processed; it stays for the next poll");
            return false;
        }
    }

    private static async Task<byte[]> ReadAsync(Stream stream, CancellationToken ct)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, ct);
        return copy.ToArray();
    }
}
