using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Lupa.Storage;
using Xunit.Abstractions;

namespace Lupa.Tests;

public sealed class CampaignRecoveryTests(ITestOutputHelper output)
{
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _output;

        /// <summary>What the server logged, once it has exited.</summary>
        public Task<string> LogAsync() => _output;

        public ServeProcess(string cs, int httpPort, int relayPort)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lupa.dll"));
            psi.ArgumentList.Add("serve");
            psi.Environment["Lupa__Database__Provider"] = TestDatabase.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite";
            psi.Environment["ConnectionStrings__Lupa"] = cs;
            psi.Environment["urls"] = $"http://127.0.0.1:{httpPort}";
            psi.Environment["Lupa__PublicUrl"] = $"http://127.0.0.1:{httpPort}";
            psi.Environment["Lupa__MailCatcher__Enabled"] = "false";
            psi.Environment["Lupa__Operator__Password"] = "operator-password";
            psi.Environment["Lupa__Secrets__LinkKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray());
            psi.Environment["Lupa__Relays__0__Host"] = "127.0.0.1";
            psi.Environment["Lupa__Relays__0__Port"] = relayPort.ToString(CultureInfo.InvariantCulture);
            psi.Environment["Lupa__Relays__0__MaxConnections"] = "8";
            psi.Environment["Lupa__Campaigns__LeaseSeconds"] = "3";
            psi.Environment["Logging__LogLevel__Default"] = "Information";
            psi.Environment["Logging__LogLevel__Microsoft"] = "Warning";
            _process = Process.Start(psi)!;
            _output = _process.StandardOutput.ReadToEndAsync();
            _ = _process.StandardError.ReadToEndAsync();
        }

        public int Id => _process.Id;

        public async Task TerminateAsync()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async Task KillAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
                await KillAsync();
            _process.Dispose();
        }
    }

    private static async Task<long> SentAsync(LupaDatabase db, long id)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM campaign_recipients WHERE campaign_id = @id AND state = 1", new { id });
    }

    private static async Task WaitForAsync(Func<bool> condition, ServeProcess? process, int timeoutSeconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed.TotalSeconds < timeoutSeconds, "timed out waiting");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_campaign_survives_sigterm_and_kill_9_with_every_recipient_reached_and_duplicates_only_from_messages_in_flight()
    {
        const int People = 100_000;
        await using var relay = await TestRelay.StartAsync(keepMessages: false);
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            CampaignSetup s;
            long id;
            await using (var setup = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, new Dictionary<string, string?> { ["Lupa:Campaigns:WorkerEnabled"] = "false" }))
            {
                s = await CampaignSupport.SetUpAsync(setup);
                await CampaignSupport.SeedAsync(setup.Db, s.OrgId, s.ListId, People);
                using var api = setup.Api(s.ApiKey);
                id = await CampaignSupport.CreateCampaignAsync(api, CampaignSupport.Campaign(s));
                await CampaignSupport.StartAsync(api, id);
            }
            var db = new LupaDatabase(TestDatabase.Provider, cs);

            // A graceful stop: what was in flight finishes and is recorded, so nothing is sent twice.
            await using (var first = new ServeProcess(cs, TestDatabase.FreePort(), relay.Port))
            {
                await WaitForAsync(() => relay.Total > 15_000, first);
                await first.TerminateAsync();
                var afterTerm1 = relay.Total;
                var recorded = await SentAsync(db, id);
                Assert.True(afterTerm1 == recorded, $"relay took {afterTerm1}, recorded {recorded}\n{await first.LogAsync()}");
            }
            var afterTerm = relay.Total;
            Assert.Equal(0, relay.Duplicates);

            // kill -9: messages the relay took but the node had not yet recorded are sent again.
            long inFlight;
            await using (var second = new ServeProcess(cs, TestDatabase.FreePort(), relay.Port))
            {
                await WaitForAsync(() => relay.Total > afterTerm + 20_000, second);
                await second.KillAsync();
                inFlight = relay.Total - await SentAsync(db, id);
            }
            Assert.InRange(inFlight, 0, 5_000);

            await using var last = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, TestRelay.Settings(relay.Port));
            using var lastApi = last.Api(s.ApiKey);
            var done = await CampaignSupport.WaitAsync(lastApi, id, 300, "sent");
            Assert.Equal("sent", done.GetProperty("status").GetString());
            Assert.Equal(People, relay.Accepted.Count);
            Assert.Equal(People, done.GetProperty("progress").GetProperty("sent").GetInt64());
            output.WriteLine($"kill -9 with {inFlight} message(s) accepted but not yet recorded; duplicates after restart: {relay.Duplicates}");
            Console.WriteLine($"[campaign recovery, {TestDatabase.Provider}] in flight at kill -9: {inFlight}; duplicates: {relay.Duplicates} (after SIGTERM: 0)");
            Assert.InRange(relay.Duplicates, 0, inFlight);
        }
        finally
        {
            await drop();
        }
    }
}
