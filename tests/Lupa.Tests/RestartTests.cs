namespace Lupa.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task A_confirmation_queued_before_a_stop_is_sent_once_after_restart()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            var catcherPort = TestDatabase.FreePort();
            var first = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false,
                new Dictionary<string, string?> { ["Lupa:Outbox:Enabled"] = "false" }, catcherPort: catcherPort);
            var org = await first.CreateOrganisationAsync("acme");
            await first.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
            using (var web = first.Client())
            {
                var posted = await web.PostAsync("/s/acme/news", new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "later@example.com", ["consent"] = "yes" }));
                Assert.Equal(System.Net.HttpStatusCode.OK, posted.StatusCode);
            }
            Assert.Empty(await first.WaitForMailAsync("later@example.com", timeoutMs: 500));
            await first.DisposeAsync();

            await using var second = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, catcherPort: catcherPort);
            var mail = await second.WaitForMailAsync("later@example.com");
            Assert.Single(mail);
            await Task.Delay(1500);
            Assert.Single(await second.WaitForMailAsync("later@example.com", count: 2, timeoutMs: 100));
            Assert.Equal(0, await new Lupa.Storage.OutboxStore(second.Db).CountWaitingAsync());
        }
        finally
        {
            await drop();
        }
    }
}
