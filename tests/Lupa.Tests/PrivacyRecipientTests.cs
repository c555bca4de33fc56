using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Lupa.Tests;

/// <summary>
/// Article 19: registered recipients are told of every rectification, erasure and restriction by a signed webhook,
/// retried until they take it, with a delivery log; the access report lists them.
/// </summary>
public sealed class PrivacyRecipientTests
{
    private const string Maija = "Maija.Virtanen@example.fi";

    // Receivers run on 127.0.0.1 over http; retries are quick so a test waits seconds, not minutes.
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Lupa:Webhooks:AllowHttp"] = "true",
        ["Lupa:Webhooks:AllowPrivateNetworks"] = "true",
        ["Lupa:Webhooks:RetryBaseSeconds"] = "0.2",
        ["Lupa:Webhooks:RetryMaxSeconds"] = "2",
    };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task ProblemAsync(HttpResponseMessage r, HttpStatusCode expected, string? field = null)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        if (field is not null)
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    /// <summary>An organisation with a list and Maija on it (confirmed, with evidence); returns the API client and her id.</summary>
    internal static async Task<(HttpClient Api, long OrgId, long SubscriberId)> OrganisationWithMaijaAsync(LupaTestHost host, string slug = "acme")
    {
        var org = await host.CreateOrganisationAsync(slug);
        await host.CreateListAsync(org.ApiKey, new { name = "Uutiset", slug = "news", language = "fi", purpose = "Kuukausittaiset uutiset" });
        var api = host.Api(org.ApiKey);
        var added = await JsonAsync(await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = Maija,
            name = "Maija",
            lists = new[] { "news" },
            consent = new { timestamp = "2025-03-01T10:00:00Z", method = "paper", source = "Messulomake" },
        })), HttpStatusCode.Created);
        return (api, org.OrgId, added.GetProperty("id").GetInt64());
    }

    private static async Task<(long Id, string Secret)> RegisterAsync(HttpClient api, string name, string url, string kind = "processor")
    {
        var created = await JsonAsync(await api.PostAsync("/api/v1/privacy/recipients", LupaTestHost.Json(new
        {
            name, kind, url, description = name + " keeps the customer register.",
        })), HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.StartsWith(secret[..10], created.GetProperty("recipient").GetProperty("secretHint").GetString());
        return (created.GetProperty("recipient").GetProperty("id").GetInt64(), secret);
    }

    [Fact]
    public async Task A_webhook_is_retried_with_backoff_until_the_receiver_takes_it_and_every_attempt_is_signed_and_logged()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 3);
        await using var host = await LupaTestHost.StartAsync(Settings);
        var (api, orgId, subscriberId) = await OrganisationWithMaijaAsync(host);
        using var apiClient = api;
        var (recipientId, secret) = await RegisterAsync(api, "Acme CRM", receiver.Url);
        // The secret is shown once: reading the recipient again never gives it.
        var read = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{recipientId}"), HttpStatusCode.OK);
        Assert.DoesNotContain(secret, read.GetRawText());

        // A rectification through the API.
        await JsonAsync(await api.PatchAsync($"/api/v1/subscribers/{subscriberId}", LupaTestHost.Json(new { name = "Maija Virtanen" })), HttpStatusCode.OK);

        var hooks = await receiver.WaitForAsync(4);
        Assert.Equal(4, hooks.Count);
        Assert.Equal([500, 500, 500, 204], hooks.Select(h => h.AnsweredWith));
        // The same event each time: one id, one body; each attempt signed afresh, and the signature verifies.
        Assert.Single(hooks.Select(h => h.Id).Distinct());
        Assert.Single(hooks.Select(h => h.Text).Distinct());
        Assert.All(hooks, h => Assert.True(WebhookReceiver.Verify(secret, h), h.Signature));
        Assert.All(hooks, h => Assert.Equal(h.Timestamp, h.Signature!.Split(',')[0]["t=".Length..]));
        // Anything else does not verify: another secret, or a body changed on the way.
        Assert.False(WebhookReceiver.Verify("whsec_not-the-secret", hooks[3]));
        Assert.False(WebhookReceiver.Verify(secret, hooks[3] with { Body = [.. hooks[3].Body, (byte)' '] }));

        var body = hooks[3].Json;
        Assert.Equal("subject.rectified", body.GetProperty("type").GetString());
        Assert.Equal(hooks[3].Id, body.GetProperty("id").GetString());
        Assert.Equal("acme", body.GetProperty("organisation").GetProperty("slug").GetString());
        Assert.Equal(subscriberId, body.GetProperty("subject").GetProperty("subscriberId").GetInt64());
        Assert.Equal(Maija, body.GetProperty("subject").GetProperty("email").GetString());
        Assert.Equal(WebhookReceiver.AddressHash(secret, Maija), body.GetProperty("subject").GetProperty("addressHash").GetString());
        Assert.Equal("Maija Virtanen", body.GetProperty("data").GetProperty("changed").GetProperty("name").GetString());

        // The delivery log: four attempts, the receiver's answers, waits that grow (base 0.2 s, doubling, half of it random).
        JsonElement delivery = default;
        for (var i = 0; i < 100 && (i == 0 || delivery.GetProperty("status").GetString() != "delivered"); i++)
        {
            if (i > 0)
                await Task.Delay(50);
            var log = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{recipientId}/deliveries"), HttpStatusCode.OK);
            delivery = Assert.Single(log.GetProperty("items").EnumerateArray());
        }
        Assert.Equal("delivered", delivery.GetProperty("status").GetString());
        Assert.Equal(4, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(204, delivery.GetProperty("lastStatusCode").GetInt32());
        var attempts = delivery.GetProperty("attemptLog").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.Equal([500, 500, 500, 204], attempts.Select(a => a.GetProperty("statusCode").GetInt32()));
        Assert.All(attempts.Take(3), a => Assert.Equal("HTTP 500 Internal Server Error", a.GetProperty("error").GetString()));
        Assert.Equal(JsonValueKind.Null, attempts[3].GetProperty("error").ValueKind);
        var at = attempts.Select(a => a.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.True(at[3] - at[2] >= TimeSpan.FromMilliseconds(400), $"third wait {(at[3] - at[2]).TotalMilliseconds} ms");
        Assert.True(at[2] - at[1] >= TimeSpan.FromMilliseconds(200), $"second wait {(at[2] - at[1]).TotalMilliseconds} ms");
        var one = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{recipientId}/deliveries/{delivery.GetProperty("id").GetInt64()}"), HttpStatusCode.OK);
        Assert.Equal("Maija Virtanen", one.GetProperty("payload").GetProperty("data").GetProperty("changed").GetProperty("name").GetString());
        var recipient = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{recipientId}"), HttpStatusCode.OK);
        Assert.Equal(1, recipient.GetProperty("deliveries").GetProperty("delivered").GetInt64());
        Assert.Equal(0, recipient.GetProperty("deliveries").GetProperty("pending").GetInt64());

        // Registration is in the audit trail, without the secret.
        var audit = await new Lupa.Storage.AuditStore(host.Db).ListAsync(orgId, 50);
        Assert.Contains(audit, e => e.Action == "privacy_recipient.add");
        Assert.DoesNotContain(audit, e => e.Details.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rectification_restriction_and_erasure_each_reach_every_recipient_and_the_erasure_names_nobody()
    {
        await using var crm = await WebhookReceiver.StartAsync();
        await using var print = await WebhookReceiver.StartAsync();
        await using var gone = await WebhookReceiver.StartAsync();
        await using var host = await LupaTestHost.StartAsync(Settings);
        var (api, orgId, subscriberId) = await OrganisationWithMaijaAsync(host);
        using var apiClient = api;
        var (crmId, crmSecret) = await RegisterAsync(api, "Acme CRM", crm.Url);
        var (_, printSecret) = await RegisterAsync(api, "Painotalo Oy", print.Url, "processor");
        var (goneId, _) = await RegisterAsync(api, "Old shop", gone.Url, "integration");
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/privacy/recipients/{goneId}")).StatusCode);
        var listed = await JsonAsync(await api.GetAsync("/api/v1/privacy/recipients"), HttpStatusCode.OK);
        Assert.Equal(["Acme CRM", "Painotalo Oy"], listed.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(3, (await JsonAsync(await api.GetAsync("/api/v1/privacy/recipients?includeRemoved=true"), HttpStatusCode.OK)).GetArrayLength());

        async Task<long> RequestAsync(string type, object? fulfil = null)
        {
            var r = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type, email = Maija, channel = "letter", details = "Kirje." })), HttpStatusCode.Created);
            var id = r.GetProperty("id").GetInt64();
            await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/fulfil", LupaTestHost.Json(fulfil ?? new { })), HttpStatusCode.OK);
            return id;
        }

        // Rectification (Article 16), by the officer, of an attribute.
        await RequestAsync("rectification", new { attributes = new Dictionary<string, string> { ["city"] = "Tampere" } });
        Assert.Single(await crm.WaitForAsync(1));
        Assert.Single(await print.WaitForAsync(1));
        // Restriction (Article 18) and its lifting.
        await JsonAsync(await api.PostAsync($"/api/v1/subscribers/{subscriberId}/restrict", null), HttpStatusCode.OK);
        await crm.WaitForAsync(2);
        await print.WaitForAsync(2);
        await JsonAsync(await api.PostAsync($"/api/v1/subscribers/{subscriberId}/unrestrict", null), HttpStatusCode.OK);
        await crm.WaitForAsync(3);
        await print.WaitForAsync(3);

        // The access report lists the registered recipients (not the removed one).
        await RequestAsync("access");
        var answer = (await host.WaitForMailAsync(Maija, 2))[^1];
        using (var visitor = new HttpClient { BaseAddress = new Uri(host.BaseUrl) })
        {
            var report = await JsonAsync(await visitor.GetAsync(MailText.Link(answer, "/privacy/report/") + "?format=json"), HttpStatusCode.OK);
            var named = report.GetProperty("dataRecipients").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
            Assert.Equal(["Acme CRM", "Painotalo Oy"], named);
            var page = await visitor.GetStringAsync(MailText.Link(answer, "/privacy/report/"));
            Assert.Matches("id=\"report-recipients\"[^$]*Acme CRM[^$]*Painotalo Oy", page);
        }

        // Erasure (Article 17).
        await RequestAsync("erasure");
        foreach (var (receiver, secret) in new[] { (crm, crmSecret), (print, printSecret) })
        {
            var hooks = await receiver.WaitForAsync(4);
            Assert.Equal(["subject.rectified", "subject.restricted", "subject.restriction_lifted", "subject.erased"], hooks.Select(h => h.Type));
            Assert.All(hooks, h => Assert.True(WebhookReceiver.Verify(secret, h)));
            Assert.Equal("Tampere", hooks[0].Json.GetProperty("data").GetProperty("changed").GetProperty("attributes").GetProperty("city").GetString());
            Assert.True(hooks[1].Json.GetProperty("data").GetProperty("restricted").GetBoolean());
            Assert.False(hooks[2].Json.GetProperty("data").GetProperty("restricted").GetBoolean());
            var erased = hooks[3];
            Assert.DoesNotContain("virtanen", erased.Text, StringComparison.OrdinalIgnoreCase);
            var subject = erased.Json.GetProperty("subject");
            Assert.False(subject.TryGetProperty("email", out _));
            Assert.Equal(subscriberId, subject.GetProperty("subscriberId").GetInt64());
            // The recipient finds the person by computing the same keyed hash over the addresses it holds.
            Assert.Equal(WebhookReceiver.AddressHash(secret, Maija), subject.GetProperty("addressHash").GetString());
        }
        Assert.NotEqual(crm.Received[3].Json.GetProperty("subject").GetProperty("addressHash").GetString(),
            print.Received[3].Json.GetProperty("subject").GetProperty("addressHash").GetString());
        Assert.Empty(gone.Received);

        // Nothing the erased person's earlier deliveries said stays: only the erasure's own two (which name nobody).
        await using var c = await host.Db.OpenAsync();
        var payloads = (await c.QueryAsync<string>("SELECT payload FROM webhook_deliveries WHERE org_id = @orgId", new { orgId })).ToList();
        Assert.Equal(2, payloads.Count);
        Assert.All(payloads, p => Assert.Contains("subject.erased", p));
        Assert.All(payloads, p => Assert.DoesNotContain("virtanen", p, StringComparison.OrdinalIgnoreCase));
        // The receiver has it; Lupa records the answer a moment later.
        JsonElement log = default;
        for (var i = 0; i < 100 && (i == 0 || log.GetProperty("items").GetArrayLength() == 0); i++)
        {
            if (i > 0)
                await Task.Delay(50);
            log = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{crmId}/deliveries?status=delivered"), HttpStatusCode.OK);
        }
        Assert.Equal("subject.erased", Assert.Single(log.GetProperty("items").EnumerateArray()).GetProperty("eventType").GetString());
    }

    [Fact]
    public async Task After_an_erasure_the_person_is_nowhere_in_the_database_files_though_webhooks_and_a_breach_notice_named_them()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await LupaTestHost.StartAsync(Settings);
        var (api, orgId, subscriberId) = await OrganisationWithMaijaAsync(host);
        using var apiClient = api;
        var (recipientId, _) = await RegisterAsync(api, "Acme CRM", receiver.Url);
        await JsonAsync(await api.PatchAsync($"/api/v1/subscribers/{subscriberId}", LupaTestHost.Json(new { name = "Maija Kuopiovaara" })), HttpStatusCode.OK);
        Assert.Single(await receiver.WaitForAsync(1));
        var breach = await JsonAsync(await api.PostAsync("/api/v1/privacy/breaches", LupaTestHost.Json(new { title = "Backup exposed", nature = "A backup was readable." })), HttpStatusCode.Created);
        var notice = await JsonAsync(await api.PostAsync($"/api/v1/privacy/breaches/{breach.GetProperty("id").GetInt64()}/notices", LupaTestHost.Json(new
        {
            audience = "all", messageFi = "Varmuuskopio oli luettavissa.", messageEn = "A backup was readable.",
        })), HttpStatusCode.Accepted);
        Assert.Equal(1, notice.GetProperty("total").GetInt64());
        Assert.Single(await host.WaitForMailAsync(Maija));
        Assert.NotEmpty(await PrivacyRightsTests.FilesContainingAsync(host, Maija, "Kuopiovaara"));

        var erasure = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "erasure", email = Maija })), HttpStatusCode.Created);
        await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{erasure.GetProperty("id").GetInt64()}/fulfil", null), HttpStatusCode.OK);
        Assert.Equal(2, (await receiver.WaitForAsync(2)).Count);
        await using (var c = await host.Db.OpenAsync())
        {
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM breach_notice_recipients WHERE org_id = @orgId", new { orgId }));
            Assert.Equal("subject.erased", await c.ExecuteScalarAsync<string>("SELECT event_type FROM webhook_deliveries WHERE recipient_id = @recipientId", new { recipientId }));
        }
        Assert.True(await host.App.Services.GetRequiredService<Lupa.Privacy.ErasureScrubber>().ScrubAsync());
        Assert.Empty(await PrivacyRightsTests.FilesContainingAsync(host, Maija, "Kuopiovaara"));
    }

    [Fact]
    public async Task A_preference_centre_rectification_is_told_and_a_delivery_waiting_survives_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            long recipientId;
            string secret;
            string link;
            // First node: no webhook sender, so the delivery waits in the database.
            await using (var first = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, new Dictionary<string, string?>(Settings) { ["Lupa:Webhooks:Enabled"] = "false" }))
            {
                var (api, orgId, subscriberId) = await OrganisationWithMaijaAsync(first);
                using var firstApi = api;
                (recipientId, secret) = await RegisterAsync(api, "Acme CRM", receiver.Url);
                link = new Uri(first.App.Services.GetRequiredService<Lupa.Hosting.PublicLinks>().Preferences(orgId, subscriberId)).PathAndQuery;
                using var visitor = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(first.BaseUrl) };
                var token = Regex.Match(await visitor.GetStringAsync(link), "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
                var saved = await visitor.PostAsync(link + "?handler=save", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["name"] = "Maija V.", ["language"] = "en", ["__RequestVerificationToken"] = token,
                }));
                Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
                var pending = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{recipientId}/deliveries?status=pending"), HttpStatusCode.OK);
                Assert.Single(pending.GetProperty("items").EnumerateArray());
            }
            Assert.Empty(receiver.Received);
            // Second node on the same database: it sends what the first left, signed with the same secret.
            await using var second = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, Settings);
            var hook = Assert.Single(await receiver.WaitForAsync(1));
            Assert.True(WebhookReceiver.Verify(secret, hook));
            var changed = hook.Json.GetProperty("data").GetProperty("changed");
            Assert.Equal("Maija V.", changed.GetProperty("name").GetString());
            Assert.Equal("en", changed.GetProperty("language").GetString());
            Assert.Contains(await new Lupa.Storage.AuditStore(second.Db).ListAsync(1, 50), e => e.Action == "subscriber.rectify" && e.Actor == "preference-centre");
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task Webhooks_do_not_reach_private_networks_unless_allowed_and_a_given_up_delivery_can_be_retried()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Lupa:Webhooks:AllowHttp"] = "true",
            ["Lupa:Webhooks:MaxAttempts"] = "1",
        });
        var (api, _, _) = await OrganisationWithMaijaAsync(host);
        using var apiClient = api;
        var (id, _) = await RegisterAsync(api, "Internal", receiver.Url);
        var test = await JsonAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/test", null), HttpStatusCode.Accepted);
        Assert.Equal("recipient.test", test.GetProperty("eventType").GetString());
        var deliveryId = test.GetProperty("id").GetInt64();
        JsonElement failed = default;
        for (var i = 0; i < 200; i++)
        {
            failed = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries/{deliveryId}"), HttpStatusCode.OK);
            if (failed.GetProperty("status").GetString() == "failed")
                break;
            await Task.Delay(50);
        }
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("private or local networks", failed.GetProperty("lastError").GetString());
        Assert.Equal(JsonValueKind.Null, Assert.Single(failed.GetProperty("attemptLog").EnumerateArray()).GetProperty("statusCode").ValueKind);
        Assert.Empty(receiver.Received);
        // Queued again by hand: due now, tried (and refused) again.
        var retried = await JsonAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/deliveries/{deliveryId}/retry", null), HttpStatusCode.OK);
        Assert.Equal(deliveryId, retried.GetProperty("id").GetInt64());
        for (var i = 0; i < 200 && failed.GetProperty("attempts").GetInt32() < 2; i++)
        {
            await Task.Delay(50);
            failed = await JsonAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries/{deliveryId}"), HttpStatusCode.OK);
        }
        Assert.Equal(2, failed.GetProperty("attemptLog").GetArrayLength());
        Assert.Empty(receiver.Received);
        // Once the recipient is removed, nothing of it is sent again.
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/privacy/recipients/{id}")).StatusCode);
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/deliveries/{deliveryId}/retry", null), HttpStatusCode.Conflict, "status");
    }

    [Fact]
    public async Task Bad_recipient_input_answers_problem_json_naming_the_field()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (api, _, _) = await OrganisationWithMaijaAsync(host);
        using var apiClient = api;
        var other = await host.CreateOrganisationAsync("other");
        using var otherApi = host.Api(other.ApiKey);
        async Task PostAsync(object body, HttpStatusCode status, string? field) =>
            await ProblemAsync(await api.PostAsync("/api/v1/privacy/recipients", LupaTestHost.Json(body)), status, field);

        await PostAsync(new { url = "https://crm.example.com/hook" }, HttpStatusCode.UnprocessableEntity, "name");
        await PostAsync(new { name = "CRM" }, HttpStatusCode.UnprocessableEntity, "url");
        await PostAsync(new { name = "CRM", url = "ftp://crm.example.com/hook" }, HttpStatusCode.UnprocessableEntity, "url");
        // Plain http is refused unless the operator allows it: the bodies can carry personal data.
        await PostAsync(new { name = "CRM", url = "http://crm.example.com/hook" }, HttpStatusCode.UnprocessableEntity, "url");
        await PostAsync(new { name = "CRM", url = "https://user:pw@crm.example.com/hook" }, HttpStatusCode.UnprocessableEntity, "url");
        await PostAsync(new { name = "CRM", url = "not a url" }, HttpStatusCode.UnprocessableEntity, "url");
        await PostAsync(new { name = "CRM", url = "https://crm.example.com/hook", kind = "friend" }, HttpStatusCode.UnprocessableEntity, "kind");
        await PostAsync(new { name = "CRM", url = "https://crm.example.com/hook", description = new string('x', 2001) }, HttpStatusCode.UnprocessableEntity, "description");
        await PostAsync(new { name = "CRM", url = "https://crm.example.com/hook", secret = "mine" }, HttpStatusCode.BadRequest, null);
        await ProblemAsync(await api.PostAsync("/api/v1/privacy/recipients", new StringContent("{\"name\":", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);

        var (id, _) = await RegisterAsync(api, "CRM", "https://crm.example.com/hook");
        await ProblemAsync(await otherApi.GetAsync($"/api/v1/privacy/recipients/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await otherApi.DeleteAsync($"/api/v1/privacy/recipients/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await otherApi.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries"), HttpStatusCode.NotFound);
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries?status=bogus"), HttpStatusCode.UnprocessableEntity, "status");
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries?limit=0"), HttpStatusCode.UnprocessableEntity, "limit");
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries?cursor=%%%"), HttpStatusCode.UnprocessableEntity, "cursor");
        await ProblemAsync(await api.GetAsync($"/api/v1/privacy/recipients/{id}/deliveries/999999"), HttpStatusCode.NotFound);

        // A new secret is shown once and differs; after removal nothing more can be done with it.
        var rotated = await JsonAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/secret", null), HttpStatusCode.OK);
        Assert.StartsWith("whsec_", rotated.GetProperty("secret").GetString());
        Assert.NotEqual(JsonValueKind.Null, rotated.GetProperty("recipient").GetProperty("secretRotatedAt").ValueKind);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/privacy/recipients/{id}")).StatusCode);
        await ProblemAsync(await api.DeleteAsync($"/api/v1/privacy/recipients/{id}"), HttpStatusCode.Conflict, "status");
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/secret", null), HttpStatusCode.Conflict, "status");
        await ProblemAsync(await api.PostAsync($"/api/v1/privacy/recipients/{id}/test", null), HttpStatusCode.Conflict, "status");
    }
}
