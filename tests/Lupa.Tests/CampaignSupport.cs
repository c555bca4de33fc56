using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using Lupa.Mail;
using Lupa.Storage;

namespace Lupa.Tests;

/// <summary>
/// An SMTP relay for tests, built on the project's own listener: counts what it accepted per
/// Message-ID and recipient, and can refuse or hang up on chosen messages.
/// </summary>
public sealed class TestRelay : IAsyncDisposable
{
    private readonly MailCatcher _listener;
    private long _seen;

    public ConcurrentDictionary<string, int> Accepted { get; } = new();
    public ConcurrentQueue<CaughtMail> Messages { get; } = new();
    public bool KeepMessages { get; init; } = true;
    public int Port { get; }
    public long Refused;
    public long Dropped;

    /// <summary>Decides the answer to the n-th message (1-based) this relay sees.</summary>
    public Func<long, ListenerAnswer> Policy { get; set; } = _ => ListenerAnswer.Accept;

    private TestRelay(int port)
    {
        Port = port;
        _listener = new MailCatcher(port, (mail, _) => Task.FromResult(Take(mail)));
    }

    private ListenerAnswer Take(CaughtMail mail)
    {
        var answer = Policy(Interlocked.Increment(ref _seen));
        if (answer == ListenerAnswer.Drop)
        {
            Interlocked.Increment(ref Dropped);
            return answer;
        }
        if (answer != ListenerAnswer.Accept)
        {
            Interlocked.Increment(ref Refused);
            return answer;
        }
        var id = MessageId(mail.Mime);
        foreach (var rcpt in mail.Recipients)
            Accepted.AddOrUpdate($"{id} {rcpt}", 1, (_, n) => n + 1);
        if (KeepMessages)
            Messages.Enqueue(mail);
        return answer;
    }

    public static async Task<TestRelay> StartAsync(int? port = null, Func<long, ListenerAnswer>? policy = null, bool keepMessages = true)
    {
        var relay = new TestRelay(port ?? TestDatabase.FreePort()) { KeepMessages = keepMessages };
        if (policy is not null)
            relay.Policy = policy;
        await relay._listener.StartAsync();
        return relay;
    }

    public long Total => Accepted.Values.Sum();
    public int Duplicates => Accepted.Values.Sum(n => n - 1);

    public static string MessageId(byte[] mime)
    {
        using var stream = new MemoryStream(mime, writable: false);
        var headers = MimeKit.HeaderList.Load(stream);
        return headers[MimeKit.HeaderId.MessageId]?.Trim() ?? "";
    }

    public ValueTask DisposeAsync() => _listener.DisposeAsync();

    /// <summary>Settings that send campaigns through relays on these ports.</summary>
    public static Dictionary<string, string?> Settings(params int[] ports)
    {
        var s = new Dictionary<string, string?>();
        for (var i = 0; i < ports.Length; i++)
        {
            s[$"Lupa:Relays:{i}:Host"] = "127.0.0.1";
            s[$"Lupa:Relays:{i}:Port"] = ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            s[$"Lupa:Relays:{i}:MaxConnections"] = "8";
        }
        return s;
    }
}

/// <summary>An organisation ready to send campaigns: lists, a sender domain with its key, a postal address; and its owner's login.</summary>
public sealed record CampaignSetup(long OrgId, string ApiKey, long ListId, long OtherListId, string DnsRecord, string OwnerEmail = "", string OwnerPassword = "");

public static class CampaignSupport
{
    public const string Domain = "news.acme.test";

    public static async Task<CampaignSetup> SetUpAsync(LupaTestHost host, string slug = "acme")
    {
        var org = await host.CreateOrganisationAsync(slug);
        var list = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", language = "en" });
        var other = await host.CreateListAsync(org.ApiKey, new { name = "Offers", slug = "offers", language = "en" });
        using var api = host.Api(org.ApiKey);
        var layout = await api.PutAsync("/api/v1/settings/layout", LupaTestHost.Json(new { postalAddress = "Acme Oy\nKatu 1\n00100 Helsinki" }));
        Assert.Equal(HttpStatusCode.OK, layout.StatusCode);
        var domain = await api.PostAsync("/api/v1/sender-domains", LupaTestHost.Json(new { domain = Domain }));
        var text = await domain.Content.ReadAsStringAsync();
        Assert.True(domain.StatusCode == HttpStatusCode.Created, text);
        var dns = JsonDocument.Parse(text).RootElement.GetProperty("dnsValue").GetString()!;
        return new CampaignSetup(org.OrgId, org.ApiKey, list.GetProperty("id").GetInt64(), other.GetProperty("id").GetInt64(), dns, org.OwnerEmail, org.OwnerPassword);
    }

    /// <summary>
    /// Adds <paramref name="count"/> people confirmed on a list with a consent record each, numbered
    /// from <paramref name="from"/>, straight in SQL: a campaign test needs thousands of them quickly.
    /// Every third lives in Helsinki.
    /// </summary>
    public static async Task SeedAsync(LupaDatabase db, long orgId, long listId, int count, int from = 0, string domain = "example.com")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var numbers = db.IsPostgres
            ? "SELECT generate_series(@from, @to) AS i"
            : "WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i < @to) SELECT i FROM n";
        var concat = db.IsPostgres ? "CAST(i AS text)" : "i";
        await using var tx = await db.BeginWriteAsync();
        var p = new { orgId, listId, now, from, to = from + count - 1, domain, helsinki = "{\"city\":\"Helsinki\"}", turku = "{\"city\":\"Turku\"}" };
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at)
            SELECT @orgId, 'p' || {concat} || '@' || @domain, 'Person ' || {concat}, 'en',
              CASE WHEN i % 3 = 0 THEN @helsinki ELSE @turku END, @now, @now
            FROM ({numbers}) x WHERE true
            ON CONFLICT (org_id, email) DO NOTHING
            """, p, tx.Transaction, commandTimeout: 600);
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, confirmed_at)
            SELECT @orgId, s.id, @listId, 'confirmed', @now, @now FROM subscribers s
            WHERE s.org_id = @orgId AND s.email IN (SELECT 'p' || {concat} || '@' || @domain FROM ({numbers}) x)
            ON CONFLICT (subscriber_id, list_id) DO NOTHING
            """, p, tx.Transaction, commandTimeout: 600);
        await tx.Connection.ExecuteAsync(
            $"""
            INSERT INTO consent_records (org_id, subscriber_id, list_id, kind, method, occurred_at, source, recorded_at)
            SELECT @orgId, s.id, @listId, 'grant', 'form', @now, 'https://acme.test/join', @now FROM subscribers s
            WHERE s.org_id = @orgId AND s.email IN (SELECT 'p' || {concat} || '@' || @domain FROM ({numbers}) x)
            """, p, tx.Transaction, commandTimeout: 600);
        await tx.CommitAsync();
    }

    /// <summary>Creates a campaign through the API and returns its id.</summary>
    public static async Task<long> CreateCampaignAsync(HttpClient api, object body)
    {
        var r = await api.PostAsync("/api/v1/campaigns", LupaTestHost.Json(body));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
    }

    public static object Campaign(CampaignSetup s, string body = "Hello {{ subscriber.name }} from {{ subscriber.attributes.city }}!", long[]? lists = null, string? segment = null) => new
    {
        name = "November news",
        listIds = lists ?? [s.ListId],
        segment,
        fromName = "Acme News",
        fromAddress = "hello@" + Domain,
        replyTo = "support@acme.test",
        subject = "News for {{ subscriber.name }}",
        preheader = "What happened in November",
        body,
        bodyFormat = "markdown",
    };

    public static async Task<JsonElement> StartAsync(HttpClient api, long id)
    {
        var r = await api.PostAsync($"/api/v1/campaigns/{id}/start", null);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls the campaign until its status is one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient api, long id, int timeoutSeconds, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var c = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement.Clone();
            if (statuses.Contains(c.GetProperty("status").GetString()) || DateTime.UtcNow > deadline)
                return c;
            await Task.Delay(100);
        }
    }
}
