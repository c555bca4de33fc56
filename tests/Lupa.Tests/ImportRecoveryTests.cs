using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Lupa.Storage;

namespace Lupa.Tests;

public sealed class ImportRecoveryTests
{
    private static string Csv(int rows, Func<int, string> line, string header = "email,name,consent_at,consent_method,consent_source")
    {
        var sb = new StringBuilder(header).Append('\n');
        for (var i = 0; i < rows; i++)
            sb.Append(line(i)).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public async Task An_import_killed_midway_resumes_after_restart_with_every_row_once()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            string key;
            await using (var first = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false))
            {
                var org = await first.CreateOrganisationAsync("acme");
                key = org.ApiKey;
                await first.CreateListAsync(key, new { name = "News", slug = "news" });
            }
            const int Rows = 30_000;
            var file = Path.Combine(Path.GetTempPath(), $"lupa-resume-{Guid.NewGuid():N}.csv");
            await File.WriteAllTextAsync(file, Csv(Rows, i => $"p{i}@example{i % 89}.fi,Person {i},2026-0{1 + i % 9}-1{i % 10}T{10 + i % 10}:{i % 60:00}:{(i / 60) % 60:00}Z,form,https://acme.test/join"));
            var data = Path.Combine(Path.GetTempPath(), $"lupa-resume-data-{Guid.NewGuid():N}");

            // `lupa import` in its own process, killed with SIGKILL once some batches are committed.
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Lupa.dll"), "import", file, "--org", "acme", "--list", "news", "--attest" })
                psi.ArgumentList.Add(a);
            psi.Environment["Lupa__Database__Provider"] = TestDatabase.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite";
            psi.Environment["ConnectionStrings__Lupa"] = cs;
            psi.Environment["Lupa__Imports__BatchSize"] = "500";
            psi.Environment["Lupa__DataPath"] = data;
            psi.Environment["Lupa__Operator__Password"] = "operator-password";
            using var process = Process.Start(psi)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var db = new LupaDatabase(TestDatabase.Provider, cs);
            var imports = new ImportStore(db);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            ImportJobRow? job = null;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                job = await imports.GetAnyAsync(1);
                if (job is { ProcessedRows: > 0 })
                    break;
                await Task.Delay(20);
            }
            Assert.False(process.HasExited, "the import finished before it could be killed; make the file larger");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            job = await imports.GetAnyAsync(1);
            Assert.NotNull(job);
            Assert.InRange(job!.ProcessedRows, 1, Rows - 1);
            Assert.Equal(0, job.ProcessedRows % 500);

            // A server on the same database takes the import over when its lease runs out.
            await using var host = await LupaTestHost.StartOnAsync(cs, drop, ownsDatabase: false, new Dictionary<string, string?>
            {
                ["Lupa:DataPath"] = data,
                ["Lupa:Imports:BatchSize"] = "5000",
            });
            await new ImportStore(host.Db).RenewLeaseAsync(1, 0);
            using var api = host.Api(key);
            var done = await ImportTests.WaitAsync(api, 1, "done", "failed");
            Assert.Equal("done", done.GetProperty("status").GetString());
            Assert.Equal(Rows, done.GetProperty("processedRows").GetInt64());
            Assert.Equal(Rows, done.GetProperty("counts").GetProperty("confirmed").GetInt64());
            var report = await ImportTests.ReportAsync(api, 1);
            Assert.Equal(Rows, report.Count);
            Assert.Equal(Enumerable.Range(2, Rows).Select(i => (long)i), report.Keys.OrderBy(k => k));
            await using var c = await host.Db.OpenAsync();
            await using var count = c.CreateCommand();
            count.CommandText = "SELECT (SELECT count(*) FROM subscribers) * 1000000 + (SELECT count(*) FROM consent_records)";
            var both = Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal((long)Rows * 1_000_000 + Rows, both);
            File.Delete(file);
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task A_bought_looking_list_is_held_for_review_and_a_clean_one_passes()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);
        string[] roles = ["info", "sales", "support", "contact", "office"];
        var bought = Csv(60, i => i % 3 == 0 ? $"{roles[i % 5]}@company{i}.example,,," : $"person{i}@mailinator.com,,,", "email,name,consent_at,consent_method");
        var held = await ImportTests.UploadAsync(api, bought);
        var heldJob = await ImportTests.WaitAsync(api, held.GetProperty("id").GetInt64(), "held", "done", "failed");
        Assert.Equal("held", heldJob.GetProperty("status").GetString());
        var reasons = heldJob.GetProperty("heldReasons").GetString()!;
        Assert.Contains("role addresses", reasons);
        Assert.Contains("disposable domains", reasons);
        Assert.Contains("without evidence", reasons);
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers")).RootElement.GetProperty("items").GetArrayLength());
        Assert.Single(await host.WaitForMailAsync(org.OwnerEmail));

        // Identical consent times for everyone look generated too.
        var stamped = Csv(50, i => $"p{i}@example.fi,P {i},2026-05-05T12:00:00Z,form,https://acme.test");
        var clustered = await ImportTests.WaitAsync(api, (await ImportTests.UploadAsync(api, stamped)).GetProperty("id").GetInt64(), "held", "done", "failed");
        Assert.Equal("held", clustered.GetProperty("status").GetString());
        Assert.Contains("clustered consent times", clustered.GetProperty("heldReasons").GetString());

        var clean = Csv(60, i => $"reader{i}@example{i % 7}.fi,Reader {i},2026-0{1 + i % 9}-{10 + i % 18}T{8 + i % 12:00}:{i % 60:00}:00Z,double_opt_in,https://acme.test/join");
        var passed = await ImportTests.WaitAsync(api, (await ImportTests.UploadAsync(api, clean)).GetProperty("id").GetInt64(), "held", "done", "failed");
        Assert.Equal("done", passed.GetProperty("status").GetString());
        Assert.Equal(60, passed.GetProperty("counts").GetProperty("confirmed").GetInt64());
        var risk = passed.GetProperty("risk");
        Assert.All(risk.EnumerateArray(), f => Assert.False(f.GetProperty("exceeded").GetBoolean()));
    }

    [Fact]
    public async Task Export_leaves_out_others_and_is_written_to_the_audit_trail()
    {
        await using var host = await LupaTestHost.StartAsync();
        var org = await host.CreateOrganisationAsync("acme");
        var list = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);
        var csv = Csv(3, i => $"e{i}@example.fi,\"Name, {i}\",2026-01-0{i + 1}T10:00:00Z,form,https://acme.test", "email,name,consent_at,consent_method,consent_source");
        await ImportTests.WaitAsync(api, (await ImportTests.UploadAsync(api, csv)).GetProperty("id").GetInt64(), "done", "failed");
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "pending@example.fi", lists = new[] { "news" } }));
        var export = await api.GetAsync($"/api/v1/lists/{list.GetProperty("id").GetInt64()}/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        var lines = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Lupa.Lists.ListExport.Header, lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("e1@example.fi,\"Name, 1\",en,2026-", StringComparison.Ordinal) || l.StartsWith("e1@example.fi,\"Name, 1\",en,", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("pending@", StringComparison.Ordinal));
        var audit = await new AuditStore(host.Db).ListAsync(await OrgIdAsync(host, "acme"), 10);
        var entry = Assert.Single(audit, e => e.Action == "export");
        Assert.StartsWith("api-key:", entry.Actor);
        Assert.Null(await new AuditStore(host.Db).VerifyAsync());

        using var otherApi = host.Api((await host.CreateOrganisationAsync("other")).ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherApi.GetAsync($"/api/v1/lists/{list.GetProperty("id").GetInt64()}/export")).StatusCode);
    }

    private static async Task<long> OrgIdAsync(LupaTestHost host, string slug) => (await host.Store.FindOrganisationAsync(slug))!.Id;
}
