using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Lupa.Tests;

public sealed class DoubleOptInTests
{
    private static FormUrlEncodedContent Form(params (string, string)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)));

    [Fact]
    public async Task Form_confirmation_and_one_click_unsubscribe_leave_a_complete_consent_trail()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var list = await host.CreateListAsync(org.ApiKey, new { name = "Uutiset", slug = "news", language = "fi", consentWording = "Haluan uutiskirjeen." });
        using var web = host.Client();

        var form = await web.GetStringAsync("/s/acme/news");
        Assert.Contains("Haluan uutiskirjeen.", form);
        Assert.Matches("<input id=\"consent\" name=\"consent\" type=\"checkbox\" value=\"yes\" />", form);
        Assert.Contains("href=\"/notice/acme\"", form);

        using var post = new HttpRequestMessage(HttpMethod.Post, "/s/acme/news") { Content = Form(("email", "  Maija.Meikalainen@Example.FI "), ("name", "Maija"), ("consent", "yes")) };
        post.Headers.UserAgent.ParseAdd("FormBrowser/1.0");
        var posted = await web.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("Tarkista sähköpostisi", await posted.Content.ReadAsStringAsync());

        // Pending: the API shows the subscription waiting, and no consent is recorded yet.
        using var api = host.Api(org.ApiKey);
        var found = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=Maija.Meikalainen@example.fi")).RootElement.GetProperty("items");
        Assert.Equal(1, found.GetArrayLength());
        var subscriber = found[0];
        Assert.Equal("Maija.Meikalainen@example.fi", subscriber.GetProperty("email").GetString());
        Assert.Equal("pending", subscriber.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var id = subscriber.GetProperty("id").GetInt64();
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement.GetArrayLength());

        // The confirmation mail, in Finnish, with the RFC 8058 headers and a /c/ link.
        var mail = Assert.Single(await host.WaitForMailAsync("Maija.Meikalainen@example.fi"));
        var message = MailText.Parse(mail);
        Assert.StartsWith("Vahvista tilauksesi", message.Subject);
        Assert.Equal("fi", message.Body!.Headers["Content-Language"]);
        var listUnsubscribe = message.Headers["List-Unsubscribe"];
        Assert.Matches(new Regex(@"^<http://127\.0\.0\.1:\d+/u/[A-Za-z0-9_-]+>, <mailto:[^>]+>$"), listUnsubscribe);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        var confirmUrl = MailText.Link(mail, "/c/");

        using var open = new HttpRequestMessage(HttpMethod.Get, confirmUrl);
        open.Headers.UserAgent.ParseAdd("LinkBrowser/2.0");
        var opened = await web.SendAsync(open);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var page = await opened.Content.ReadAsStringAsync();
        Assert.Contains("Tilaus vahvistettu", page);
        var preferences = await web.GetStringAsync(Regex.Match(page, "href=\"([^\"]*/p/[^\"]+)\"").Groups[1].Value);
        Assert.Contains("Maija.Meikalainen@example.fi", preferences);
        Assert.Contains("tietosuoja@om.fi", preferences);

        // Opening it again is harmless.
        var again = await web.GetAsync(confirmUrl);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var consents = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement;
        var grant = Assert.Single(consents.EnumerateArray());
        Assert.Equal("grant", grant.GetProperty("kind").GetString());
        Assert.Equal("double_opt_in", grant.GetProperty("method").GetString());
        Assert.Equal("news", grant.GetProperty("listSlug").GetString());
        Assert.Equal(list.GetProperty("id").GetInt64(), grant.GetProperty("listId").GetInt64());
        Assert.Equal("127.0.0.1", grant.GetProperty("ip").GetString());
        Assert.Equal("LinkBrowser/2.0", grant.GetProperty("userAgent").GetString());
        Assert.Equal("127.0.0.1", grant.GetProperty("formIp").GetString());
        Assert.Equal("FormBrowser/1.0", grant.GetProperty("formUserAgent").GetString());
        Assert.True(grant.GetProperty("formSubmittedAt").GetDateTimeOffset() <= grant.GetProperty("occurredAt").GetDateTimeOffset());
        Assert.Equal(1, grant.GetProperty("wordingVersion").GetInt32());
        Assert.Equal("Haluan uutiskirjeen.", grant.GetProperty("wordingText").GetString());
        Assert.Equal(Lupa.Domain.ConsentWording.Hash("Haluan uutiskirjeen."), grant.GetProperty("wordingHash").GetString());
        Assert.Equal(1, grant.GetProperty("privacyNoticeVersion").GetInt32());
        Assert.EndsWith("/s/acme/news", grant.GetProperty("source").GetString());

        // GET on the unsubscribe link only shows a button and the preference centre link.
        var unsubscribeUrl = Regex.Match(listUnsubscribe!, "<(http[^>]+)>").Groups[1].Value;
        var unsubscribePage = await web.GetStringAsync(unsubscribeUrl);
        Assert.Contains("<form method=\"post\"", unsubscribePage);
        Assert.Contains("/p/", unsubscribePage);
        var stillConfirmed = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement;
        Assert.Equal("confirmed", stillConfirmed.GetProperty("subscriptions")[0].GetProperty("status").GetString());

        // RFC 8058 one-click: a bare POST, no cookies, no antiforgery token.
        var oneClick = await web.PostAsync(unsubscribeUrl, new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        var after = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement;
        Assert.Equal("unsubscribed", after.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var history = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement;
        Assert.Equal(2, history.GetArrayLength());
        var withdrawal = history[1];
        Assert.Equal("withdrawal", withdrawal.GetProperty("kind").GetString());
        Assert.Equal("unsubscribe", withdrawal.GetProperty("method").GetString());
        Assert.Equal("127.0.0.1", withdrawal.GetProperty("ip").GetString());

        // A second one-click changes nothing more.
        await web.PostAsync(unsubscribeUrl, new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(2, JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement.GetArrayLength());

        // The old confirmation link cannot bring the person back.
        var stale = await web.GetAsync(confirmUrl);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("unsubscribed", JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}")).RootElement.GetProperty("subscriptions")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Forged_and_expired_confirmation_links_get_a_clear_page()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var web = host.Client();
        await web.PostAsync("/s/acme/news", Form(("email", "a@example.com"), ("consent", "yes")));
        var mail = Assert.Single(await host.WaitForMailAsync("a@example.com"));
        var link = MailText.Link(mail, "/c/");

        var forged = await web.GetAsync(link[..^3] + (link[^3..] == "AAA" ? "BBB" : "AAA"));
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.Contains("This link is not valid", await forged.Content.ReadAsStringAsync());

        var garbage = await web.GetAsync("/c/%3Cscript%3E");
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);

        var tokens = host.App.Services.GetRequiredService<LinkTokens>();
        var token = new Uri(link).AbsolutePath[3..];
        Assert.Equal(LinkProblem.None, tokens.Read(token, LinkPurpose.Confirm, out var claims));
        var expired = tokens.Create(LinkPurpose.Confirm, claims.OrgId, claims.Id, claims.Stamp, TimeSpan.FromSeconds(-5));
        var expiredPage = await web.GetAsync("/c/" + expired);
        Assert.Equal(HttpStatusCode.Gone, expiredPage.StatusCode);
        Assert.Contains("This link has expired", await expiredPage.Content.ReadAsStringAsync());

        // A token of another purpose is not a confirmation.
        var unsubscribeToken = tokens.Create(LinkPurpose.Unsubscribe, claims.OrgId, claims.Id);
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync("/c/" + unsubscribeToken)).StatusCode);
    }

    [Fact]
    public async Task Honeypot_rate_limit_and_double_submit_do_not_send_extra_mail()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:PublicForm:RateLimitPerMinute"] = "5" });
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var web = host.Client();

        var bot = await web.PostAsync("/s/acme/news", Form(("email", "bot@example.com"), ("consent", "yes"), ("website", "http://spam.example")));
        Assert.Equal(HttpStatusCode.OK, bot.StatusCode);
        using var api = host.Api(org.ApiKey);
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=bot@example.com")).RootElement.GetProperty("items").GetArrayLength());

        Assert.Equal(HttpStatusCode.OK, (await web.PostAsync("/s/acme/news", Form(("email", "twice@example.com"), ("consent", "yes")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await web.PostAsync("/s/acme/news", Form(("email", "twice@example.com"), ("consent", "yes")))).StatusCode);
        var noConsent = await web.PostAsync("/s/acme/news", Form(("email", "noconsent@example.com")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noConsent.StatusCode);
        Assert.Contains("tick the box", await noConsent.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await web.PostAsync("/s/acme/news", Form(("email", "not-an-address"), ("consent", "yes")))).StatusCode);
        var limited = await web.PostAsync("/s/acme/news", Form(("email", "sixth@example.com"), ("consent", "yes")));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

        await Task.Delay(1500);
        Assert.Single(await host.WaitForMailAsync("twice@example.com", count: 2, timeoutMs: 1000));
        Assert.Empty(await host.WaitForMailAsync("bot@example.com", timeoutMs: 10));
        Assert.Empty(await host.WaitForMailAsync("sixth@example.com", timeoutMs: 10));
    }

    [Fact]
    public async Task Markup_in_names_is_refused_text_is_shown_escaped_and_line_breaks_never_reach_a_header()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        using var api = host.Api(org.ApiKey);
        var markup = await api.PostAsync("/api/v1/lists", LupaTestHost.Json(new { name = "News <b>now</b>", slug = "news" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, markup.StatusCode);
        Assert.Contains("name", await markup.Content.ReadAsStringAsync());
        await host.CreateListAsync(org.ApiKey, new { name = "Tom & Jerry's \"News\"", slug = "news", description = "<i>weekly</i>" });
        using var web = host.Client();
        var page = await web.GetStringAsync("/s/acme/news");
        Assert.Contains("Tom &amp; Jerry&#x27;s &quot;News&quot;", page);
        Assert.Contains("&lt;i&gt;weekly&lt;/i&gt;", page);
        Assert.DoesNotContain("<i>weekly</i>", page);

        var crlf = await web.PostAsync("/s/acme/news", Form(("email", "x@example.com\r\nBcc: victim@example.com"), ("consent", "yes")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, crlf.StatusCode);
        var nameCrlf = await web.PostAsync("/s/acme/news", Form(("email", "y@example.com"), ("name", "Eve\r\nBcc: victim@example.com"), ("consent", "yes")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nameCrlf.StatusCode);
        var script = await web.PostAsync("/s/acme/news", Form(("email", "s@example.com"), ("name", "<script>alert(1)</script>"), ("consent", "yes")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, script.StatusCode);
        Assert.DoesNotContain("<script>alert(1)</script>", await script.Content.ReadAsStringAsync());
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers")).RootElement.GetProperty("items").GetArrayLength());

        await web.PostAsync("/s/acme/news", Form(("email", "z@example.com"), ("name", "Zoë \"Z\" O'Hara & Co"), ("consent", "yes")));
        var mail = Assert.Single(await host.WaitForMailAsync("z@example.com"));
        var message = MailText.Parse(mail);
        Assert.Null(message.Headers["Bcc"]);
        Assert.Equal("Zoë \"Z\" O'Hara & Co", ((MimeKit.MailboxAddress)message.To[0]).Name);
        Assert.Contains("Tom &amp; Jerry", message.HtmlBody);
        Assert.Empty(await host.WaitForMailAsync("victim@example.com", timeoutMs: 10));
    }

    [Fact]
    public async Task A_single_opt_in_list_confirms_from_the_form_without_a_mail()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "Events", slug = "events", optInMode = "single", consentWording = "Tell me about events." });
        using var web = host.Client();
        var posted = await web.PostAsync("/s/acme/events", Form(("email", "quick@example.com"), ("consent", "yes")));
        Assert.Contains("Subscription confirmed", await posted.Content.ReadAsStringAsync());
        using var api = host.Api(org.ApiKey);
        var s = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=quick@example.com")).RootElement.GetProperty("items")[0];
        Assert.Equal("confirmed", s.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var grant = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{s.GetProperty("id").GetInt64()}/consents")).RootElement.EnumerateArray());
        Assert.Equal("form", grant.GetProperty("method").GetString());
        Assert.Equal("Tell me about events.", grant.GetProperty("wordingText").GetString());
        Assert.Empty(await host.WaitForMailAsync("quick@example.com", timeoutMs: 500));

        // Through the API without evidence the same list still asks for confirmation.
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "viaapi@example.com", lists = new[] { "events" } }));
        Assert.Single(await host.WaitForMailAsync("viaapi@example.com"));
    }

    [Fact]
    public async Task The_consent_record_holds_the_wording_the_form_showed_even_if_it_changed_since()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var list = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", consentWording = "First wording." });
        using var web = host.Client();
        var form = await web.GetStringAsync("/s/acme/news");
        Assert.Contains("name=\"wv\" value=\"1\"", form);
        using var api = host.Api(org.ApiKey);
        await api.PutAsync($"/api/v1/lists/{list.GetProperty("id").GetInt64()}", LupaTestHost.Json(new { consentWording = "Second wording." }));
        await web.PostAsync("/s/acme/news", Form(("email", "shown@example.com"), ("consent", "yes"), ("wv", "1")));
        var forged = await web.PostAsync("/s/acme/news", Form(("email", "forged@example.com"), ("consent", "yes"), ("wv", "99")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forged.StatusCode);
        var mail = Assert.Single(await host.WaitForMailAsync("shown@example.com"));
        await web.GetAsync(MailText.Link(mail, "/c/"));
        var id = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=shown@example.com")).RootElement.GetProperty("items")[0].GetProperty("id").GetInt64();
        var grant = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{id}/consents")).RootElement.EnumerateArray());
        Assert.Equal(1, grant.GetProperty("wordingVersion").GetInt32());
        Assert.Equal("First wording.", grant.GetProperty("wordingText").GetString());
    }
}
