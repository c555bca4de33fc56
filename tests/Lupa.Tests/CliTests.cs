using System.Diagnostics;
using System.Text.Json;

namespace Lupa.Tests;

public sealed class CliTests
{
    internal static async Task<(int Exit, string Out, string Err)> RunAsync(string connectionString, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Lupa.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["Lupa__Database__Provider"] = TestDatabase.Provider == Lupa.Storage.DatabaseProvider.Postgres ? "postgres" : "sqlite";
        psi.Environment["ConnectionStrings__Lupa"] = connectionString;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Orgs_create_prints_the_key_once_and_refuses_a_taken_slug()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            var (exit, output, error) = await RunAsync(cs, "orgs", "create", "--name", "Acme Oy", "--slug", "acme", "--owner-email", "owner@acme.test", "--json");
            Assert.True(exit == 0, error);
            var json = JsonDocument.Parse(output).RootElement;
            Assert.Equal("acme", json.GetProperty("slug").GetString());
            Assert.True(json.GetProperty("orgId").GetInt64() > 0);
            var key = json.GetProperty("apiKey").GetString()!;
            Assert.StartsWith("lupa_", key);

            // The key works against a server on the same database, and only its hash is stored.
            await using var host = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false);
            using var api = host.Api(key);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await api.GetAsync("/api/v1/lists")).StatusCode);
            await using (var c = await host.Db.OpenAsync())
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT key_hash FROM api_keys";
                var stored = (string)(await cmd.ExecuteScalarAsync())!;
                Assert.NotEqual(key, stored);
                Assert.Equal(Lupa.Security.ApiKeys.Hash(key), stored);
            }

            var (exit2, _, error2) = await RunAsync(cs, "orgs", "create", "--name", "Again", "--slug", "acme", "--owner-email", "other@acme.test", "--json");
            Assert.NotEqual(0, exit2);
            Assert.Contains("slug", error2);
            var (exit3, _, error3) = await RunAsync(cs, "orgs", "create", "--name", "Bad", "--slug", "Bad Slug!", "--owner-email", "x@acme.test");
            Assert.NotEqual(0, exit3);
            Assert.Contains("slug", error3);
            var (exit4, _, _) = await RunAsync(cs, "orgs", "create", "--name", "Missing");
            Assert.NotEqual(0, exit4);
        }
        finally
        {
            await drop();
        }
    }
}
