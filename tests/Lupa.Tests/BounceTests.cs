using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Lupa.Domain;
using Lupa.Mail;
using Lupa.Storage;
using MailKit.Net.Smtp;
using MimeKit;

namespace Lupa.Tests;

public sealed partial class BounceTests
{
    internal const string ComplaintAddress = "fbl@bounces.acme.test";

    /// <summary>A relay for the campaigns, Lupa with its bounce listener on a free port, and an organisation with people on its list.</summary>
    internal sealed class Scene(TestRelay relay, LupaTestHost host, int port, CampaignSetup setup) : IAsyncDisposable
    {
        public TestRelay Relay => relay;
        public LupaTestHost Host => host;
        public int Port => port;
        public CampaignSetup Setup => setup;
        public HttpClient Api { get; } = host.Api(setup.ApiKey);

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await host.DisposeAsync();
            await relay.DisposeAsync();
        }
    }

    internal static async Task<Scene> SceneAsync(int people, Func<long, ListenerAnswer>? policy = null, Dictionary<string, string?>? extra = null)
    {
        var relay = await TestRelay.StartAsync(policy: policy);
        var port = TestDatabase.FreePort();
        var settings = TestRelay.Settings(relay.Port);
        settings["Lupa:Campaigns:RetryBaseSeconds"] = "0.05";
        settings["Lupa:Bounces:Enabled"] = "true";
        settings["Lupa:Bounces:Port"] = port.ToString(CultureInfo.InvariantCulture);
        settings["Lupa:Bounces:ComplaintAddress"] = ComplaintAddress;
        foreach (var (k, v) in extra ?? [])
            settings[k] = v;
        var host = await LupaTestHost.StartAsync(settings);
        var setup = await CampaignSupport.SetUpAsync(host);
        await CampaignSupport.SeedAsync(host.Db, setup.OrgId, setup.ListId, people);
        return new Scene(relay, host, port, setup);
    }

    // Sends a campaign to the list and returns what the relay took, per recipient.
    internal static async Task<(long Id, Dictionary<string, CaughtMail> Mail)> SendCampaignAsync(HttpClient api, CampaignSetup s, TestRelay relay, long[]? lists = null)
    {
        var before = relay.Messages.Count;
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, lists: lists));
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal("sent", done.GetProperty("status").GetString());
        var mine = relay.Messages.Skip(before).Where(m => m.MailFrom.StartsWith($"bounce+c{id}-", StringComparison.Ordinal));
        return (id, mine.ToDictionary(m => m.Recipients.Single(), m => m));
    }

    private static string MessageIdOf(CaughtMail mail) => TestRelay.MessageId(mail.Mime).Trim('<', '>');

    /// <summary>What Postfix sends back for a failed recipient: an RFC 3464 report with the original's headers.</summary>
    internal static MimeMessage Dsn(CaughtMail original, string status, string reply, string action = "failed")
    {
        var rcpt = original.Recipients.Single();
        var text = $"""
            Return-Path: <>
            Date: {DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)}
            From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
            Subject: Undelivered Mail Returned to Sender
            To: {original.MailFrom}
            Auto-Submitted: auto-replied
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"
            Message-Id: <{Guid.NewGuid():N}@relay.example.net>

            --B
            Content-Type: text/plain; charset=us-ascii

            <{rcpt}>: host mx.example.com[192.0.2.25] said: {reply}

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; relay.example.net

            Final-Recipient: rfc822; {rcpt}
            Action: {action}
            Status: {status}
            Diagnostic-Code: smtp; {reply}

            --B
            Content-Type: text/rfc822-headers

            Return-Path: <{original.MailFrom}>
            Message-ID: <{MessageIdOf(original)}>
            Subject: November news

            --B--

            """;
        return MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal))));
    }

    /// <summary>A feedback-loop complaint (ARF) about a message, with its copy as the provider keeps it.</summary>
    internal static MimeMessage Arf(CaughtMail original, string feedbackType = "abuse")
    {
        var report = new MimeKit.Multipart("report");
        report.ContentType.Parameters.Add("report-type", "feedback-report");
        report.Add(new TextPart("plain") { Text = "This is an email abuse report for an email message received from IP 198.51.100.8." });
        var fields = new MessageFeedbackReport();
        fields.Fields.Add("Feedback-Type", feedbackType);
        fields.Fields.Add("User-Agent", "TestFBL/1.0");
        fields.Fields.Add("Version", "1");
        fields.Fields.Add("Original-Rcpt-To", "<" + original.Recipients.Single() + ">");
        report.Add(fields);
        // The provider's copy: the message as delivered, with the Return-Path the receiving server added.
        var copy = MimeMessage.Load(new MemoryStream(original.Mime));
        copy.Headers.Insert(0, HeaderId.ReturnPath, "<" + original.MailFrom + ">");
        report.Add(new MessagePart { Message = copy });
        var message = new MimeMessage { Subject = "Email Feedback Report", Body = report };
        message.From.Add(MailboxAddress.Parse("fbl-reports@provider.example.net"));
        message.To.Add(MailboxAddress.Parse(ComplaintAddress));
        return message;
    }

    // Delivers a report to the listener with a null sender, as mail systems send bounces.
    internal static async Task DeliverAsync(int port, MimeMessage message, string rcpt)
    {
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
        await smtp.SendAsync(message, new MailboxAddress("", ""), [MailboxAddress.Parse(rcpt)]);
        await smtp.DisconnectAsync(true);
    }

    private static async Task<JsonElement> CampaignAsync(HttpClient api, long id) =>
        JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement.Clone();

    private static async Task<(string? Reason, long? SuppressedAt, string[] Statuses)> StateOfAsync(LupaTestHost host, long orgId, string email)
    {
        await using var c = await host.Db.OpenAsync();
        var hash = SuppressionKey.For(host.Db.SuppressionKey, EmailAddress.Parse(email).Value!);
        var reason = await c.ExecuteScalarAsync<string?>("SELECT reason FROM suppressions WHERE org_id = @orgId AND address_hash = @hash AND list_id = 0", new { orgId, hash });
        var at = await c.ExecuteScalarAsync<long?>("SELECT suppressed_at FROM subscribers WHERE org_id = @orgId AND email = @email", new { orgId, email });
        var statuses = (await c.QueryAsync<string>(
            "SELECT s.status FROM subscriptions s JOIN subscribers p ON p.id = s.subscriber_id WHERE p.org_id = @orgId AND p.email = @email ORDER BY s.list_id",
            new { orgId, email })).ToArray();
        return (reason, at, statuses);
    }

    [Fact]
    public async Task A_dsn_to_the_listener_suppresses_the_address_and_a_later_campaign_skips_the_person()
    {
        await using var scene = await SceneAsync(5);
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        var (first, mail) = await SendCampaignAsync(api, s, relay);
        Assert.Equal(5, mail.Count);

        var original = mail["p2@example.com"];
        await DeliverAsync(port, Dsn(original, "5.1.1", "550 5.1.1 <p2@example.com>: Recipient address rejected: User unknown"), original.MailFrom);

        var state = await StateOfAsync(host, s.OrgId, "p2@example.com");
        Assert.Equal(SuppressionReasons.HardBounce, state.Reason);
        Assert.NotNull(state.SuppressedAt);
        var campaign = await CampaignAsync(api, first);
        Assert.Equal(1, campaign.GetProperty("bounces").GetProperty("hard").GetInt64());
        Assert.Equal(0, campaign.GetProperty("bounces").GetProperty("soft").GetInt64());
        var page = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{first}/bounces")).RootElement;
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("hard", item.GetProperty("kind").GetString());
        Assert.Equal("5.1.1", item.GetProperty("status").GetString());
        Assert.Equal("p2@example.com", item.GetProperty("email").GetString());
        Assert.Equal("listener", item.GetProperty("source").GetString());
        Assert.Contains("User unknown", item.GetProperty("diagnostic").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.GetAsync($"/api/v1/campaigns/{first}/bounces?kind=bogus")).StatusCode);
        Assert.Empty(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{first}/bounces?kind=soft")).RootElement.GetProperty("items").EnumerateArray());

        // The same report again (the sender retried) is stored and counted once.
        await DeliverAsync(port, Dsn(original, "5.1.1", "550 5.1.1 User unknown"), original.MailFrom);
        Assert.Equal(1, (await CampaignAsync(api, first)).GetProperty("bounces").GetProperty("hard").GetInt64());

        var (_, second) = await SendCampaignAsync(api, s, relay);
        Assert.Equal(4, second.Count);
        Assert.DoesNotContain("p2@example.com", second.Keys);

        // The organisation's page lists it, with the raw report while it is kept.
        using var admin = await AdminSessionAsync(host);
        var html = await admin.GetStringAsync($"/admin/o/acme/bounces");
        Assert.Contains("p2@example.com", html);
        Assert.Contains("id=\"count-hard\">1<", html);
        var raw = WebUtility.HtmlDecode(Regex.Match(html, "href=\"([^\"]*handler=raw[^\"]*)\"").Groups[1].Value);
        Assert.Contains("Recipient address rejected", await admin.GetStringAsync(raw));

        // Past the retention the raw report is forgotten; the event stays.
        Assert.Equal(0, await new BounceRecorder(host.Db).PurgeRawAsync(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds()));
        Assert.Equal(1, await new BounceRecorder(host.Db).PurgeRawAsync(DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeMilliseconds()));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(raw)).StatusCode);
        Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{first}/bounces")).RootElement.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_forged_return_address_or_message_id_changes_nothing()
    {
        await using var scene = await SceneAsync(3);
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        var (id, mail) = await SendCampaignAsync(api, s, relay);
        var original = mail["p1@example.com"];

        // Another recipient's number with this one's MAC: the listener refuses the address at RCPT TO.
        var forgedPath = Regex.Replace(original.MailFrom, @"-s\d+-", "-s999999-");
        var forged = new CaughtMail(forgedPath, original.Recipients, original.Mime);
        var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => DeliverAsync(port, Dsn(forged, "5.1.1", "550 5.1.1 User unknown"), forgedPath));
        Assert.Equal(550, (int)refused.StatusCode);
        await Assert.ThrowsAsync<SmtpCommandException>(() => DeliverAsync(port, Dsn(original, "5.1.1", "550 5.1.1 User unknown"), "postmaster@news.acme.test"));

        // A complaint to the complaint address whose copy carries a forged Message-ID and return path.
        var tampered = Encoding(original.Mime).Replace(MessageIdOf(original), "c" + id + ".s1.0123456789@news.acme.test", StringComparison.Ordinal);
        await DeliverAsync(port, Arf(new CaughtMail(forgedPath, original.Recipients, System.Text.Encoding.UTF8.GetBytes(tampered))), ComplaintAddress);

        var state = await StateOfAsync(host, s.OrgId, "p1@example.com");
        Assert.Null(state.Reason);
        Assert.Null(state.SuppressedAt);
        Assert.Equal(["confirmed"], state.Statuses);
        var bounces = (await CampaignAsync(api, id)).GetProperty("bounces");
        Assert.Equal(0, bounces.GetProperty("hard").GetInt64() + bounces.GetProperty("complaints").GetInt64());
        await using var c = await host.Db.OpenAsync();
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM bounce_events"));
    }

    private static string Encoding(byte[] mime) => System.Text.Encoding.UTF8.GetString(mime);

    [Fact]
    public async Task An_arf_complaint_unsubscribes_from_every_list_and_suppresses()
    {
        await using var scene = await SceneAsync(3);
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        await CampaignSupport.SeedAsync(host.Db, s.OrgId, s.OtherListId, 3);
        var (id, mail) = await SendCampaignAsync(api, s, relay);
        var original = mail["p0@example.com"];

        await DeliverAsync(port, Arf(original), ComplaintAddress);

        var state = await StateOfAsync(host, s.OrgId, "p0@example.com");
        Assert.Equal(SuppressionReasons.Complaint, state.Reason);
        Assert.NotNull(state.SuppressedAt);
        Assert.Equal(["unsubscribed", "unsubscribed"], state.Statuses);
        await using (var c = await host.Db.OpenAsync())
        {
            // Each withdrawal is kept as proof, as an unsubscribe is.
            var withdrawals = (await c.QueryAsync<(long ListId, string Method)>(
                "SELECT r.list_id, r.method FROM consent_records r JOIN subscribers p ON p.id = r.subscriber_id WHERE p.email = 'p0@example.com' AND r.kind = 'withdrawal' ORDER BY r.list_id")).ToList();
            Assert.Equal(new[] { (s.ListId, ConsentMethods.Complaint), (s.OtherListId, ConsentMethods.Complaint) }, withdrawals);
        }
        Assert.Equal(1, (await CampaignAsync(api, id)).GetProperty("bounces").GetProperty("complaints").GetInt64());
        var item = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/bounces?kind=complaint")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal("abuse", item.GetProperty("status").GetString());
        Assert.Contains("TestFBL", item.GetProperty("diagnostic").GetString());
        Assert.Equal(new BounceCounts(0, 0, 1), await new BounceStore(host.Db, s.OrgId).CountsAsync());

        // A DMARC failure report is a feedback report too, but nobody complained.
        await DeliverAsync(port, Arf(mail["p1@example.com"], "auth-failure"), ComplaintAddress);
        Assert.Equal(["confirmed", "confirmed"], (await StateOfAsync(host, s.OrgId, "p1@example.com")).Statuses);

        var (_, next) = await SendCampaignAsync(api, s, relay, [s.ListId, s.OtherListId]);
        Assert.DoesNotContain("p0@example.com", next.Keys);
        Assert.Equal(2, next.Count);

        // The person may come back themselves: a confirmed double opt-in is new consent and lifts the suppression.
        using var web = host.Client();
        var form = await web.PostAsync("/s/acme/news", new FormUrlEncodedContent([new("email", "p0@example.com"), new("consent", "yes")]));
        Assert.True(form.IsSuccessStatusCode, await form.Content.ReadAsStringAsync());
        var confirmation = Assert.Single(await host.WaitForMailAsync("p0@example.com"));
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync(MailText.Link(confirmation, "/c/"))).StatusCode);
        var back = await StateOfAsync(host, s.OrgId, "p0@example.com");
        Assert.Null(back.Reason);
        Assert.Null(back.SuppressedAt);
        Assert.Equal(["confirmed", "unsubscribed"], back.Statuses);
        var (_, again) = await SendCampaignAsync(api, s, relay);
        Assert.Contains("p0@example.com", again.Keys);
    }

    [Fact]
    public async Task Soft_bounces_suppress_only_when_they_reach_the_limit()
    {
        await using var scene = await SceneAsync(2);
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        // The default: three within thirty days.
        for (var n = 1; n <= 3; n++)
        {
            var (id, mail) = await SendCampaignAsync(api, s, relay);
            Assert.True(mail.ContainsKey("p0@example.com"), $"campaign {n} did not go to p0");
            var original = mail["p0@example.com"];
            var dsn = Dsn(original, "4.2.2", "452 4.2.2 <p0@example.com>: Mailbox full, quota exceeded");
            await DeliverAsync(port, dsn, original.MailFrom);
            // A delay warning is no bounce.
            await DeliverAsync(port, Dsn(original, "4.4.1", "451 4.4.1 connection timed out", action: "delayed"), original.MailFrom);
            Assert.Equal(1, (await CampaignAsync(api, id)).GetProperty("bounces").GetProperty("soft").GetInt64());
            var state = await StateOfAsync(host, s.OrgId, "p0@example.com");
            if (n < 3)
            {
                Assert.Null(state.Reason);
                Assert.Null(state.SuppressedAt);
            }
            else
            {
                Assert.Equal(SuppressionReasons.SoftBounce, state.Reason);
                Assert.NotNull(state.SuppressedAt);
            }
        }
        var (_, last) = await SendCampaignAsync(api, s, relay);
        Assert.Equal(["p1@example.com"], last.Keys.ToArray());
        // Still on the list: a full mailbox is no withdrawal of consent.
        Assert.Equal(["confirmed"], (await StateOfAsync(host, s.OrgId, "p0@example.com")).Statuses);
    }

    [Fact]
    public async Task A_5xx_answer_during_the_send_counts_as_a_hard_bounce_and_a_template_error_does_not()
    {
        // The relay refuses the first message it gets; the last person's attributes break the template.
        await using var scene = await SceneAsync(6, policy: n => n == 1 ? ListenerAnswer.Refuse550 : ListenerAnswer.Accept,
            extra: new() { ["Lupa:Campaigns:CheckRenderSample"] = "5" });
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        await using (var c = await host.Db.OpenAsync())
            await c.ExecuteAsync("UPDATE subscribers SET attributes = '{\"n\":\"100000000\"}' WHERE email = 'p5@example.com'");
        var id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s, body: "{% for i in (1..subscriber.attributes.n) %}x{% endfor %} Hello"));
        await CampaignSupport.StartAsync(api, id);
        var done = await CampaignSupport.WaitAsync(api, id, 60, "sent");
        Assert.Equal(2, done.GetProperty("progress").GetProperty("failed").GetInt64());
        Assert.Equal(1, done.GetProperty("bounces").GetProperty("hard").GetInt64());

        var item = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/bounces")).RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal("send", item.GetProperty("source").GetString());
        Assert.Equal("5.1.1", item.GetProperty("status").GetString());
        Assert.StartsWith("550", item.GetProperty("diagnostic").GetString());
        var refused = item.GetProperty("email").GetString()!;
        Assert.NotEqual("p5@example.com", refused);
        var state = await StateOfAsync(host, s.OrgId, refused);
        Assert.Equal(SuppressionReasons.HardBounce, state.Reason);
        Assert.NotNull(state.SuppressedAt);
        Assert.Null((await StateOfAsync(host, s.OrgId, "p5@example.com")).Reason);
    }

    [Theory]
    [InlineData("imap")]
    [InlineData("pop3")]
    public async Task Reports_in_a_polled_mailbox_are_recorded_and_deleted(string protocol)
    {
        await using var dovecot = await Dovecot.StartAsync();
        await using var scene = await SceneAsync(3, extra: new()
        {
            ["Lupa:Bounces:Mailbox:Protocol"] = protocol,
            ["Lupa:Bounces:Mailbox:Host"] = "127.0.0.1",
            ["Lupa:Bounces:Mailbox:Port"] = (protocol == "imap" ? dovecot.ImapPort : dovecot.Pop3Port).ToString(CultureInfo.InvariantCulture),
            ["Lupa:Bounces:Mailbox:Tls"] = "none",
            ["Lupa:Bounces:Mailbox:Username"] = Dovecot.User,
            ["Lupa:Bounces:Mailbox:Password"] = Dovecot.Password,
            ["Lupa:Bounces:Mailbox:PollSeconds"] = "1",
        });
        var (relay, host, port, s, api) = (scene.Relay, scene.Host, scene.Port, scene.Setup, scene.Api);
        var (id, mail) = await SendCampaignAsync(api, s, relay);

        // What the return-path domain's MX put in the mailbox: a bounce, a complaint and an out-of-office reply.
        var outOfOffice = new MimeMessage { Subject = "Automatic reply: November news", Body = new TextPart("plain") { Text = "I am away until Monday." } };
        outOfOffice.From.Add(MailboxAddress.Parse("p0@example.com"));
        outOfOffice.To.Add(MailboxAddress.Parse(mail["p0@example.com"].MailFrom));
        outOfOffice.Headers.Add("Auto-Submitted", "auto-replied");
        using (var imap = new MailKit.Net.Imap.ImapClient())
        {
            await imap.ConnectAsync("127.0.0.1", dovecot.ImapPort, MailKit.Security.SecureSocketOptions.None);
            await imap.AuthenticateAsync(Dovecot.User, Dovecot.Password);
            foreach (var m in new[] { Dsn(mail["p1@example.com"], "5.1.1", "550 5.1.1 User unknown"), Arf(mail["p2@example.com"]), outOfOffice })
                await imap.Inbox.AppendAsync(new MailKit.AppendRequest(m));
            await imap.DisconnectAsync(true);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        int left;
        while (true)
        {
            using var imap = new MailKit.Net.Imap.ImapClient();
            await imap.ConnectAsync("127.0.0.1", dovecot.ImapPort, MailKit.Security.SecureSocketOptions.None);
            await imap.AuthenticateAsync(Dovecot.User, Dovecot.Password);
            await imap.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
            left = imap.Inbox.Count;
            await imap.DisconnectAsync(true);
            if (left == 0 || DateTime.UtcNow > deadline)
                break;
            await Task.Delay(200);
        }
        Assert.Equal(0, left);
        Assert.Equal(SuppressionReasons.HardBounce, (await StateOfAsync(host, s.OrgId, "p1@example.com")).Reason);
        Assert.Equal(SuppressionReasons.Complaint, (await StateOfAsync(host, s.OrgId, "p2@example.com")).Reason);
        Assert.Null((await StateOfAsync(host, s.OrgId, "p0@example.com")).Reason);
        var items = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{id}/bounces")).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["complaint", "hard"], items.Select(i => i.GetProperty("kind").GetString()!).Order().ToArray());
        Assert.All(items, i => Assert.Equal("mailbox", i.GetProperty("source").GetString()));
    }

    // The operator, signed in to the admin UI.
    internal static async Task<HttpClient> AdminSessionAsync(LupaTestHost host)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(host.BaseUrl) };
        var page = await http.GetStringAsync("/admin/login");
        var token = TokenPattern().Match(page).Groups[1].Value;
        var login = await http.PostAsync("/admin/login", new FormUrlEncodedContent(
            [new("email", "operator@lupa.localhost"), new("password", "operator-password"), new("__RequestVerificationToken", token)]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return http;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
