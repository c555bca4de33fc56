using System.Net;
using System.Text.Json;

namespace Lupa.Tests;

/// <summary>Fulfilment after approval: where the organisation chooses, verified self-service requests wait for the privacy officer.</summary>
public sealed class FulfilmentApprovalTests
{
    private const string Maija = "maija.virtanen@example.fi";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{(int)r.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    // Makes a request on the public page and opens the verification link; returns the verified page.
    private static async Task<string> RequestAndVerifyAsync(LupaTestHost host, string email, string choice)
    {
        using var visitor = new PrivacyRequestTests.Visitor(host);
        var before = (await host.Store.ListCaughtMessagesAsync(null, 1000)).Count(m => m.RcptTo == email);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PostFormAsync("/privacy/acme?lang=en", ("email", email), ("choice", choice))).StatusCode);
        var mails = await host.WaitForMailAsync(email, before + 1);
        var opened = await visitor.GetAsync(MailText.Link(mails.Last(m => m.Subject.StartsWith("Confirm your data protection request", StringComparison.Ordinal)), "/privacy/verify/"));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        return await opened.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> OnlyAsync(HttpClient api, string type) =>
        (await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?limit=500"), HttpStatusCode.OK)).EnumerateArray().Single(r => r.GetProperty("type").GetString() == type);

    [Fact]
    public async Task With_approval_chosen_a_verified_erasure_waits_in_the_register_until_the_officer_approves_it()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, subscriberId) = await AuditTrailTests.OrganisationWithSubscriberAsync(host);
        using var api = host.Api(org.ApiKey);
        Assert.Equal("automatic", (await JsonAsync(await api.GetAsync("/api/v1/settings/privacy"), HttpStatusCode.OK)).GetProperty("fulfilment").GetString());
        var bad = await api.PutAsync("/api/v1/settings/privacy", LupaTestHost.Json(new { fulfilment = "sometimes" }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal("approval", (await JsonAsync(await api.PutAsync("/api/v1/settings/privacy", LupaTestHost.Json(new { fulfilment = "approval" })), HttpStatusCode.OK))
            .GetProperty("fulfilment").GetString());

        var page = await RequestAndVerifyAsync(host, Maija, "erasure");
        Assert.DoesNotContain("erased", page, StringComparison.OrdinalIgnoreCase);
        var waiting = await OnlyAsync(api, "erasure");
        Assert.Equal("verified", waiting.GetProperty("status").GetString());
        Assert.True(waiting.GetProperty("awaitingApproval").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/v1/subscribers/{subscriberId}")).StatusCode);
        var listed = await JsonAsync(await api.GetAsync("/api/v1/privacy/requests?awaitingApproval=true"), HttpStatusCode.OK);
        Assert.Equal(waiting.GetProperty("id").GetInt64(), Assert.Single(listed.EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await api.GetAsync("/api/v1/privacy/requests?awaitingApproval=perhaps")).StatusCode);

        var id = waiting.GetProperty("id").GetInt64();
        var approved = await JsonAsync(await api.PostAsync($"/api/v1/privacy/requests/{id}/approve", null), HttpStatusCode.OK);
        Assert.Equal("completed", approved.GetProperty("status").GetString());
        Assert.False(approved.GetProperty("awaitingApproval").GetBoolean());
        Assert.StartsWith("api-key:", approved.GetProperty("approvedBy").GetString());
        Assert.StartsWith("Erased", approved.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/subscribers/{subscriberId}")).StatusCode);

        // Approving twice, a request that never waited, or one of another organisation: refused.
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsync($"/api/v1/privacy/requests/{id}/approve", null)).StatusCode);
        var registered = await JsonAsync(await api.PostAsync("/api/v1/privacy/requests", LupaTestHost.Json(new { type = "restriction", email = "someone@example.fi" })), HttpStatusCode.Created);
        var notWaiting = await api.PostAsync($"/api/v1/privacy/requests/{registered.GetProperty("id").GetInt64()}/approve", null);
        Assert.Equal(HttpStatusCode.Conflict, notWaiting.StatusCode);
        Assert.Equal("application/problem+json", notWaiting.Content.Headers.ContentType?.MediaType);
        using var other = host.Api((await host.CreateOrganisationAsync("other")).ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/v1/privacy/requests/{id}/approve", null)).StatusCode);

        var audit = await new Lupa.Storage.AuditStore(host.Db).ListAsync(org.OrgId, 200);
        Assert.Contains(audit, e => e.Action == "settings.fulfilment");
        Assert.Contains(audit, e => e.Action == "privacy_request.await_approval" && e.Subject == $"privacy_request:{id}");
        Assert.Contains(audit, e => e.Action == "privacy_request.approve" && e.Subject == $"privacy_request:{id}");
        Assert.Contains(audit, e => e.Action == "privacy_request.fulfil" && e.Subject == $"privacy_request:{id}");
    }

    [Fact]
    public async Task The_officer_approves_an_access_request_with_the_button_and_the_person_gets_the_link()
    {
        await using var host = await LupaTestHost.StartAsync();
        var (org, _) = await AuditTrailTests.OrganisationWithSubscriberAsync(host);
        using var owner = new Session(host);
        await owner.LoginAsync(org.OwnerEmail, org.OwnerPassword);
        var saved = await owner.PostFormAsync("/admin/o/acme/privacy-requests", "/admin/o/acme/privacy-requests?handler=fulfilment", ("fulfilment", "approval"));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Contains("wait for your approval", await owner.GetPageAsync(saved.Headers.Location!.OriginalString));

        await RequestAndVerifyAsync(host, Maija, "access");
        using var api = host.Api(org.ApiKey);
        var waiting = await OnlyAsync(api, "access");
        Assert.True(waiting.GetProperty("awaitingApproval").GetBoolean());
        var id = waiting.GetProperty("id").GetInt64();
        // Only the verification mail so far: no link to the data before the officer approves.
        Assert.Single(await host.WaitForMailAsync(Maija, 2, 500));
        var register = await owner.GetPageAsync("/admin/o/acme/privacy-requests?awaitingApproval=true");
        Assert.Contains("awaiting approval", register);
        Assert.Contains($"data-request-id=\"{id}\"", register);
        Assert.Contains("Approve and fulfil", await owner.GetPageAsync($"/admin/o/acme/privacy-requests/{id}"));

        var approved = await owner.PostFormAsync($"/admin/o/acme/privacy-requests/{id}", $"/admin/o/acme/privacy-requests/{id}?handler=approve");
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        var after = await owner.GetPageAsync(approved.Headers.Location!.OriginalString);
        Assert.Contains("Approved and fulfilled", after);
        Assert.Contains($"by {org.OwnerEmail}", after);
        var answer = (await host.WaitForMailAsync(Maija, 2))[^1];
        Assert.Equal("Your data from acme Oy", MailText.Parse(answer).Subject);
        Assert.Equal("completed", (await JsonAsync(await api.GetAsync($"/api/v1/privacy/requests/{id}"), HttpStatusCode.OK)).GetProperty("status").GetString());

        // Back to automatic: the next verified request is answered at once.
        await owner.PostFormAsync("/admin/o/acme/privacy-requests", "/admin/o/acme/privacy-requests?handler=fulfilment", ("fulfilment", "automatic"));
        await RequestAndVerifyAsync(host, Maija, "portability");
        Assert.Equal("completed", (await OnlyAsync(api, "portability")).GetProperty("status").GetString());
        var refused = await owner.PostFormAsync("/admin/o/acme/privacy-requests", "/admin/o/acme/privacy-requests?handler=fulfilment", ("fulfilment", "never"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
    }
}
