using System.Net;

namespace Lupa.Tests;

public sealed partial class AdminTests
{
    [Fact]
    public async Task A_person_of_one_organisation_cannot_see_another_in_the_admin_UI()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        var b = await host.CreateOrganisationAsync("beta");
        var list = await host.CreateListAsync(a.ApiKey, new { name = "Alpha list", slug = "news" });
        using var apiA = host.Api(a.ApiKey);
        await apiA.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "secret@example.com", lists = new[] { "news" } }));
        await host.WaitForMailAsync("secret@example.com");

        using var anonymous = new Session(host);
        var redirect = await anonymous.GetAsync("/admin/o/alpha/subscribers");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("/admin/login", redirect.Headers.Location!.PathAndQuery);

        using var wrong = new Session(host);
        var refused = await wrong.LoginAsync(b.OwnerEmail, "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var beta = new Session(host);
        var login = await beta.LoginAsync(b.OwnerEmail, b.OwnerPassword);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await beta.GetAsync("/admin/o/beta")).StatusCode);
        foreach (var path in new[] { "/admin/o/alpha", "/admin/o/alpha/lists", $"/admin/o/alpha/lists/{list.GetProperty("id").GetInt64()}", "/admin/o/alpha/subscribers", "/admin/o/alpha/people", "/admin/o/alpha/api-keys", "/admin/o/alpha/privacy-notice" })
        {
            var r = await beta.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
            Assert.DoesNotContain("secret@example.com", await r.Content.ReadAsStringAsync());
        }
        var catcher = await (await beta.GetAsync("/admin/mail-catcher")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret@example.com", catcher);

        using var alpha = new Session(host);
        await alpha.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var subscribers = await (await alpha.GetAsync("/admin/o/alpha/subscribers?q=secret")).Content.ReadAsStringAsync();
        Assert.Contains("secret@example.com", subscribers);
        Assert.Contains("secret@example.com", await (await alpha.GetAsync("/admin/mail-catcher")).Content.ReadAsStringAsync());

        using var op = new Session(host);
        await op.LoginAsync("operator@lupa.localhost", "operator-password");
        var orgs = await (await op.GetAsync("/admin")).Content.ReadAsStringAsync();
        Assert.Contains("alpha", orgs);
        Assert.Contains("beta", orgs);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync("/admin/o/alpha/subscribers")).StatusCode);
    }

    [Fact]
    public async Task Admin_forms_refuse_bad_input_and_need_the_antiforgery_token()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        using var s = new Session(host);
        await s.LoginAsync(a.OwnerEmail, a.OwnerPassword);
        var bad = await s.PostFormAsync("/admin/o/alpha/lists", "/admin/o/alpha/lists", ("Form.Name", "<script>x</script>"), ("Form.Slug", "news"), ("Form.Language", "en"), ("Form.OptInMode", "double"), ("Form.LegalBasis", "consent"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var good = await s.PostFormAsync("/admin/o/alpha/lists", "/admin/o/alpha/lists", ("Form.Name", "News"), ("Form.Slug", "news"), ("Form.Language", "en"), ("Form.OptInMode", "double"), ("Form.LegalBasis", "consent"));
        Assert.True(good.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.OK, good.StatusCode.ToString());
        var duplicate = await s.PostFormAsync("/admin/o/alpha/lists", "/admin/o/alpha/lists", ("Form.Name", "News 2"), ("Form.Slug", "news"), ("Form.Language", "en"), ("Form.OptInMode", "double"), ("Form.LegalBasis", "consent"));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        using var api = host.Api(a.ApiKey);
        var lists = System.Text.Json.JsonDocument.Parse(await api.GetStringAsync("/api/v1/lists")).RootElement;
        Assert.Equal(1, lists.GetArrayLength());
        Assert.Equal("News", lists[0].GetProperty("name").GetString());

        // Without the antiforgery token the post is refused.
        using var raw = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(host.BaseUrl) };
        var forged = await raw.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = a.OwnerEmail, ["password"] = a.OwnerPassword }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
    }
}
