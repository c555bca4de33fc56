using System.Net;
using System.Text.Json;

namespace Lupa.Tests;

public sealed class TenantIsolationTests
{
    [Fact]
    public async Task A_key_of_another_organisation_gets_404_everywhere_and_changes_nothing()
    {
        await using var host = await LupaTestHost.StartAsync();
        var a = await host.CreateOrganisationAsync("alpha");
        var b = await host.CreateOrganisationAsync("beta");
        var list = await host.CreateListAsync(a.ApiKey, new { name = "Alpha news", slug = "news" });
        var listId = list.GetProperty("id").GetInt64();
        using var apiA = host.Api(a.ApiKey);
        var created = await apiA.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new
        {
            email = "person@example.com",
            lists = new[] { "news" },
            consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-1), method = "form", source = "https://alpha.test" },
        }));
        var subscriberId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();

        using var apiB = host.Api(b.ApiKey);
        var reads = new[]
        {
            $"/api/v1/lists/{listId}",
            $"/api/v1/lists/{listId}/consent-wordings",
            $"/api/v1/subscribers/{subscriberId}",
            $"/api/v1/subscribers/{subscriberId}/consents",
        };
        foreach (var path in reads)
            Assert.Equal(HttpStatusCode.NotFound, (await apiB.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.PutAsync($"/api/v1/lists/{listId}", LupaTestHost.Json(new { name = "Stolen" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.PatchAsync($"/api/v1/subscribers/{subscriberId}", LupaTestHost.Json(new { name = "Stolen" }))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await apiB.DeleteAsync($"/api/v1/subscribers/{subscriberId}/lists/{listId}")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await apiB.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "x@example.com", listIds = new[] { listId } }))).StatusCode);

        // B sees none of A's data in its own listings.
        Assert.Equal(0, JsonDocument.Parse(await apiB.GetStringAsync("/api/v1/lists")).RootElement.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(await apiB.GetStringAsync("/api/v1/subscribers")).RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(await apiB.GetStringAsync("/api/v1/subscribers?email=person@example.com")).RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(1, JsonDocument.Parse(await apiB.GetStringAsync("/api/v1/privacy-notice")).RootElement.GetProperty("version").GetInt32());
        await apiB.PutAsync("/api/v1/privacy-notice", LupaTestHost.Json(new { controllerName = "Beta", controllerContact = "b@beta.test", authorityName = "DPO", authorityContact = "x" }));

        // A's data is untouched.
        var after = JsonDocument.Parse(await apiA.GetStringAsync($"/api/v1/subscribers/{subscriberId}")).RootElement;
        Assert.Equal("", after.GetProperty("name").GetString());
        Assert.Equal("confirmed", after.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        Assert.Equal("Alpha news", JsonDocument.Parse(await apiA.GetStringAsync($"/api/v1/lists/{listId}")).RootElement.GetProperty("name").GetString());
        Assert.Equal(1, JsonDocument.Parse(await apiA.GetStringAsync("/api/v1/privacy-notice")).RootElement.GetProperty("version").GetInt32());
        Assert.Single(JsonDocument.Parse(await apiA.GetStringAsync($"/api/v1/subscribers/{subscriberId}/consents")).RootElement.EnumerateArray());

        // The same slug may exist in both organisations; each form shows its own list.
        await host.CreateListAsync(b.ApiKey, new { name = "Beta news", slug = "news" });
        using var web = host.Client();
        Assert.Contains("Alpha news", await web.GetStringAsync("/s/alpha/news"));
        Assert.Contains("Beta news", await web.GetStringAsync("/s/beta/news"));
    }
}
