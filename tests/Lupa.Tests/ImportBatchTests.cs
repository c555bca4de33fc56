using System.Globalization;
using Dapper;
using System.Text;
using System.Text.Json;
using Lupa.Domain;
using Lupa.Domain.Imports;
using Lupa.Imports;

namespace Lupa.Tests;

/// <summary>
/// The bulk path over many batches: rows kept from the check, prepared statements on SQLite, COPY and two
/// batches in flight on PostgreSQL. Every guarantee of a single small batch must hold across batches.
/// </summary>
public sealed class ImportBatchTests
{
    private static async Task<long> CountAsync(LupaTestHost host, string sql, long orgId)
    {
        await using var c = await host.Db.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var p = cmd.CreateParameter();
        p.ParameterName = "org";
        p.Value = orgId;
        cmd.Parameters.Add(p);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    // PostgreSQL only: whether, within 30 s, a statement that starts like the pattern waits for a lock another test's
    // uncommitted transaction holds.
    private static async Task<bool> WaitsOnLockAsync(LupaTestHost host, string likePattern)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var probe = await host.Db.OpenAsync();
            if (await probe.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE @likePattern", new { likePattern }) > 0)
                return true;
            await Task.Delay(100);
        }
        return false;
    }

    private sealed record Figures(long Subscribers, long Confirmed, long Pending, long Grants, long Outbox);

    private static async Task<Figures> FiguresAsync(LupaTestHost host, long orgId) => new(
        await CountAsync(host, "SELECT count(*) FROM subscribers WHERE org_id = @org", orgId),
        await CountAsync(host, "SELECT count(*) FROM subscriptions WHERE org_id = @org AND status = 'confirmed'", orgId),
        await CountAsync(host, "SELECT count(*) FROM subscriptions WHERE org_id = @org AND status = 'pending'", orgId),
        await CountAsync(host, "SELECT count(*) FROM consent_records WHERE org_id = @org AND import_id IS NOT NULL", orgId),
        await CountAsync(host, "SELECT count(*) FROM outbox WHERE org_id = @org", orgId));

    [Fact]
    public async Task An_import_over_many_batches_gives_each_row_one_outcome_one_grant_per_confirmed_row_and_changes_nothing_the_second_time()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Imports:BatchSize"] = "700" });
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);
        var put = await api.PutAsync("/api/v1/settings/imports", LupaTestHost.Json(new { noEvidencePolicy = "repermission", ownDomains = Array.Empty<string>() }));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        // Someone who unsubscribed and an existing subscriber, met in the middle of the file.
        var consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-9), method = "form", source = "https://acme.test" };
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "left@example.com", lists = new[] { "news" }, consent }));
        var left = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=left@example.com")).RootElement.GetProperty("items")[0];
        await api.DeleteAsync($"/api/v1/subscribers/{left.GetProperty("id").GetInt64()}/lists/{left.GetProperty("subscriptions")[0].GetProperty("listId").GetInt64()}");
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "known@example.com", name = "Known", lists = new[] { "news" }, consent }));
        var before = await FiguresAsync(host, org.OrgId);

        const int Rows = 5000;
        var csv = new StringBuilder("email,name,city,consent_at,consent_method,consent_source\n");
        for (var i = 0; i < Rows; i++)
        {
            var at = $"2026-0{1 + i % 9}-{10 + i % 18}T{i % 24:00}:{i / 24 % 60:00}:00Z";
            csv.Append(i switch
            {
                2501 => $"known@example.com,Known Again,Lahti,{at},paper,Fair",
                3701 => $"left@example.com,Left,Vaasa,{at},form,https://acme.test/join",
                _ when i % 1000 == 999 => $"not-an-address,Nobody,,{at},form,",
                _ when i % 250 == 7 => $"p{i - 7}@EXAMPLE.fi,Again,,{at},form,",
                _ when i % 10 == 3 => $"p{i}@example.fi,Person {i},City{i % 7},,,",
                _ => $"p{i}@example.fi,Person {i},City{i % 7},{at},form,https://acme.test/join",
            }).Append('\n');
        }
        const int Invalid = 5, Duplicates = 20, Pending = 500;
        const int Confirmed = Rows - Invalid - Duplicates - Pending - 2;

        var job = await ImportTests.UploadAsync(api, csv.ToString());
        var id = job.GetProperty("id").GetInt64();
        var done = await ImportTests.WaitAsync(api, id, "done", "failed", "held");
        Assert.True(done.GetProperty("status").GetString() == "done", done.ToString());
        Assert.Equal(Rows, done.GetProperty("processedRows").GetInt64());
        var counts = done.GetProperty("counts");
        Assert.Equal(Confirmed, counts.GetProperty(ImportOutcomes.Confirmed).GetInt64());
        Assert.Equal(Pending, counts.GetProperty(ImportOutcomes.PendingRepermission).GetInt64());
        Assert.Equal(1, counts.GetProperty(ImportOutcomes.Existing).GetInt64());
        Assert.Equal(1, counts.GetProperty(ImportOutcomes.SkippedSuppressed).GetInt64());
        Assert.Equal(Duplicates, counts.GetProperty(ImportOutcomes.SkippedDuplicate).GetInt64());
        Assert.Equal(Invalid, counts.GetProperty(ImportOutcomes.SkippedInvalidAddress).GetInt64());

        // The report: every line of the file once, in order, with its outcome.
        var report = await ImportTests.ReportAsync(api, id);
        Assert.Equal(Enumerable.Range(2, Rows).Select(i => (long)i), report.Keys.Order());
        Assert.Equal("skipped_duplicate", report[2 + 257].Outcome);
        Assert.Equal("existing", report[2 + 2501].Outcome);
        Assert.Equal("skipped_suppressed", report[2 + 3701].Outcome);
        Assert.Equal("pending_repermission", report[2 + 4003].Outcome);
        Assert.Equal("no evidence: re-permission mail queued", report[2 + 4003].Reason);
        Assert.Equal("confirmed", report[2 + 4004].Outcome);
        Assert.Equal("p4004@example.fi", report[2 + 4004].Email);

        // One subscriber per new address, one grant per confirmed row (and one appended for the existing one),
        // one re-permission mail per pending row.
        var after = await FiguresAsync(host, org.OrgId);
        Assert.Equal(before.Subscribers + Confirmed + Pending, after.Subscribers);
        Assert.Equal(before.Confirmed + Confirmed, after.Confirmed);
        Assert.Equal(before.Pending + Pending, after.Pending);
        Assert.Equal(before.Grants + Confirmed + 1, after.Grants);
        Assert.Equal(before.Outbox + Pending, after.Outbox);
        Assert.Equal(Confirmed, await CountAsync(host,
            $"SELECT count(*) FROM consent_records c JOIN subscribers s ON s.id = c.subscriber_id WHERE c.org_id = @org AND c.import_id = {id} AND c.evidence_method = 'form' AND c.source = 'https://acme.test/join' AND s.email LIKE 'p%'", org.OrgId));
        var anna = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=p4004@example.fi")).RootElement.GetProperty("items")[0];
        Assert.Equal("Person 4004", anna.GetProperty("name").GetString());
        Assert.Equal("confirmed", anna.GetProperty("subscriptions")[0].GetProperty("status").GetString());

        // Nothing of the file stays once the import is done: neither the upload nor its parsed rows.
        var stored = (await new Lupa.Storage.ImportStore(host.Db).GetAnyAsync(id))!;
        Assert.False(File.Exists(stored.FilePath));
        Assert.False(File.Exists(ImportRowFile.PathFor(stored.FilePath)));

        // The same file again changes nothing.
        var again = await ImportTests.UploadAsync(api, csv.ToString());
        var second = await ImportTests.WaitAsync(api, again.GetProperty("id").GetInt64(), "done", "failed", "held");
        Assert.Equal("done", second.GetProperty("status").GetString());
        Assert.Equal(0, second.GetProperty("counts").GetProperty(ImportOutcomes.Confirmed).GetInt64());
        Assert.Equal(0, second.GetProperty("counts").GetProperty(ImportOutcomes.PendingRepermission).GetInt64());
        Assert.Equal(Confirmed + Pending + 1, second.GetProperty("counts").GetProperty(ImportOutcomes.Existing).GetInt64());
        Assert.Equal(after, await FiguresAsync(host, org.OrgId));
    }

    [Fact]
    public async Task An_address_another_writer_adds_while_a_batch_is_written_becomes_an_existing_subscriber_not_a_failed_import()
    {
        await using var host = await LupaTestHost.StartAsync();
        // SQLite has one writer at a time: nobody can add an address between a batch's look-up and its insert.
        if (!host.Db.IsPostgres)
            return;
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);

        // A sign-up of race@example.fi that has not committed yet: the batch's look-up cannot see it, and its COPY waits
        // on the unique index until the sign-up commits, then fails; the batch must insert its subscribers again.
        await using var signup = await host.Db.OpenAsync();
        await using var tx = await signup.BeginTransactionAsync();
        await using (var insert = signup.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at) VALUES ({org.OrgId}, 'race@example.fi', 'Signed Up', 'en', '{{}}', 1, 1)";
            await insert.ExecuteNonQueryAsync();
        }
        var job = await ImportTests.UploadAsync(api,
            "email,name,consent_at,consent_method,consent_source\n" +
            "first@example.fi,First,2026-03-01T10:00:00Z,form,https://acme.test/join\n" +
            "race@example.fi,Raced,2026-03-01T10:00:00Z,form,https://acme.test/join\n" +
            "last@example.fi,Last,2026-03-01T10:00:00Z,form,https://acme.test/join\n");
        var id = job.GetProperty("id").GetInt64();
        Assert.True(await WaitsOnLockAsync(host, "COPY subscribers%"), "the batch's COPY never waited on the uncommitted sign-up");
        await tx.CommitAsync();

        var done = await ImportTests.WaitAsync(api, id, "done", "failed", "held");
        Assert.True(done.GetProperty("status").GetString() == "done", done.ToString());
        var report = await ImportTests.ReportAsync(api, id);
        Assert.Equal("confirmed", report[2].Outcome);
        Assert.Equal("existing", report[3].Outcome);
        Assert.Equal("confirmed", report[4].Outcome);
        Assert.Equal(1, await CountAsync(host, "SELECT count(*) FROM subscribers WHERE org_id = @org AND email = 'race@example.fi'", org.OrgId));
        Assert.Equal(3, await CountAsync(host, "SELECT count(*) FROM subscriptions WHERE org_id = @org AND status = 'confirmed'", org.OrgId));
        Assert.Equal(3, await CountAsync(host, $"SELECT count(*) FROM consent_records WHERE org_id = @org AND import_id = {id}", org.OrgId));
        var raced = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=race@example.fi")).RootElement.GetProperty("items")[0];
        Assert.Equal("Raced", raced.GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_unsubscribe_that_commits_while_an_import_confirms_the_same_subscription_is_kept()
    {
        await using var host = await LupaTestHost.StartAsync();
        // SQLite has one writer at a time: the unsubscribe and the import's batch cannot overlap.
        if (!host.Db.IsPostgres)
            return;
        var org = await host.CreateOrganisationAsync("acme");
        var list = await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        var listId = list.GetProperty("id").GetInt64();
        using var api = host.Api(org.ApiKey);
        long subscriberId;
        await using (var c = await host.Db.OpenAsync())
        {
            subscriberId = await c.ExecuteScalarAsync<long>(
                "INSERT INTO subscribers (org_id, email, name, language, attributes, created_at, updated_at) VALUES (@org, 'liisa@example.fi', 'Liisa', 'en', '{}', 1, 1) RETURNING id",
                new { org = org.OrgId });
            await c.ExecuteAsync(
                "INSERT INTO subscriptions (org_id, subscriber_id, list_id, status, created_at, request_at) VALUES (@org, @subscriberId, @listId, 'pending', 1, 1)",
                new { org = org.OrgId, subscriberId, listId });
        }

        // Liisa unsubscribes (not committed yet) while an import with her evidence reads her subscription as pending
        // and goes to confirm it: its update waits for the unsubscribe, which then commits.
        await using var other = await host.Db.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        await other.ExecuteAsync("UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = 2 WHERE subscriber_id = @subscriberId", new { subscriberId }, tx);
        var id = (await ImportTests.UploadAsync(api,
            "email,name,consent_at,consent_method,consent_source\nliisa@example.fi,Liisa,2026-03-01T10:00:00Z,form,https://acme.test/join\n")).GetProperty("id").GetInt64();
        Assert.True(await WaitsOnLockAsync(host, "UPDATE subscriptions SET status = 'confirmed'%"), "the import's confirmation never waited on the uncommitted unsubscribe");
        await tx.CommitAsync();

        var done = await ImportTests.WaitAsync(api, id, "done", "failed", "held");
        Assert.True(done.GetProperty("status").GetString() == "done", done.ToString());
        await using var check = await host.Db.OpenAsync();
        Assert.Equal("unsubscribed", await check.ExecuteScalarAsync<string>("SELECT status FROM subscriptions WHERE subscriber_id = @subscriberId", new { subscriberId }));
        Assert.Equal(0, await check.ExecuteScalarAsync<long>("SELECT count(*) FROM consent_records WHERE subscriber_id = @subscriberId AND import_id IS NOT NULL", new { subscriberId }));
    }

    [Fact]
    public async Task Repermission_mails_of_a_later_import_follow_those_already_queued_instead_of_going_beside_them()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Imports:RepermissionPerMinute"] = "60" });
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);
        var put = await api.PutAsync("/api/v1/settings/imports", LupaTestHost.Json(new { noEvidencePolicy = "repermission", ownDomains = Array.Empty<string>() }));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        static string File(string prefix)
        {
            var csv = new StringBuilder("email,name,consent_at,consent_method,consent_source\n");
            for (var i = 0; i < 10; i++)
                csv.Append(CultureInfo.InvariantCulture, $"{prefix}bare{i}@example.fi,Bare {i},,,\n");
            for (var i = 0; i < 12; i++)
                csv.Append(CultureInfo.InvariantCulture, $"{prefix}{i}@example.fi,Person {i},2026-0{1 + i % 9}-1{i % 9}T1{i % 10}:0{i % 10}:00Z,form,https://acme.test/join\n");
            return csv.ToString();
        }
        foreach (var prefix in new[] { "a", "b" })
        {
            var id = (await ImportTests.UploadAsync(api, File(prefix))).GetProperty("id").GetInt64();
            var done = await ImportTests.WaitAsync(api, id, "done", "failed", "held");
            Assert.True(done.GetProperty("status").GetString() == "done", done.ToString());
        }
        await using var c = await host.Db.OpenAsync();
        var due = (await c.QueryAsync<(string To, long Due)>(
            "SELECT rcpt_to, due_at FROM outbox WHERE org_id = @OrgId AND purpose = 'confirmation'", new { org.OrgId })).ToList();
        var first = due.Where(d => d.To.StartsWith("abare", StringComparison.Ordinal)).Select(d => d.Due).ToList();
        var second = due.Where(d => d.To.StartsWith("bbare", StringComparison.Ordinal)).Select(d => d.Due).ToList();
        Assert.Equal((10, 10), (first.Count, second.Count));
        // One a second in all: the first import's ten take nine seconds, the second's start a second after them.
        Assert.True(second.Min() >= first.Max() + 1000, $"the first import's mails are due until {first.Max()}, the second's from {second.Min()}");
        Assert.Equal(9000, second.Max() - second.Min());
    }

    [Fact]
    public async Task A_person_erased_while_an_import_runs_is_not_brought_back_by_its_later_rows()
    {
        await using var host = await LupaTestHost.StartAsync(new Dictionary<string, string?> { ["Lupa:Imports:BatchSize"] = "100" });
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news" });
        using var api = host.Api(org.ApiKey);
        var consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-9), method = "form", source = "https://acme.test" };
        var add = await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "maija@example.com", name = "Maija", lists = new[] { "news" }, consent }));
        Assert.True(add.IsSuccessStatusCode, await add.Content.ReadAsStringAsync());

        // Maija's row is the file's last: the import is well under way when she is erased.
        const int Rows = 30_000;
        var csv = new StringBuilder("email,name,consent_at,consent_method,consent_source\n");
        for (var i = 0; i < Rows - 1; i++)
            csv.Append(CultureInfo.InvariantCulture, $"p{i}@example.fi,Person {i},2026-0{1 + i % 9}-{10 + i % 18}T{i % 24:00}:{i / 24 % 60:00}:{i / 1440 % 60:00}Z,form,https://acme.test/join\n");
        csv.Append("maija@example.com,Maija Again,2026-03-01T10:00:00Z,form,https://acme.test/join\n");
        var id = (await ImportTests.UploadAsync(api, csv.ToString())).GetProperty("id").GetInt64();
        var store = new Lupa.Storage.ImportStore(host.Db);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await store.GetAnyAsync(id))!.ProcessedRows == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        var during = (await store.GetAnyAsync(id))!;
        Assert.True(during.ProcessedRows is > 0 and < Rows - 1000, $"the import had processed {during.ProcessedRows} rows when Maija was erased");
        var address = EmailAddress.Parse("maija@example.com").Value!;
        await new Lupa.Storage.SubscriberErasure(host.Db, org.OrgId).EraseAsync(address.Value, SuppressionKey.For(host.Db.SuppressionKey, address), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        var done = await ImportTests.WaitAsync(api, id, "done", "failed", "held");
        Assert.True(done.GetProperty("status").GetString() == "done", done.ToString());
        var report = await ImportTests.ReportAsync(api, id);
        Assert.Equal(("skipped_suppressed", "erased"), (report[Rows + 1].Outcome, report[Rows + 1].Reason));
        Assert.Equal(0, await CountAsync(host, "SELECT count(*) FROM subscribers WHERE org_id = @org AND email = 'maija@example.com'", org.OrgId));
        Assert.Equal(Rows - 1, await CountAsync(host, "SELECT count(*) FROM subscribers WHERE org_id = @org", org.OrgId));
    }

    [Fact]
    public void Parsed_rows_kept_between_the_check_and_the_apply_phase_read_back_as_written()
    {
        var upload = Path.Combine(Path.GetTempPath(), $"lupa-rows-{Guid.NewGuid():N}.csv");
        var at = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var full = new ImportRow(2, EmailAddress.Parse("Anna@Example.FI").Value!, "Anna Ääkkönen", new Dictionary<string, string> { ["city"] = "Espoo", ["tier"] = "gold" },
            ImportBasis.Evidence, at, "form", "https://acme.test/join", "192.0.2.1", "News please.", null);
        var customer = new ImportRow(3, EmailAddress.Parse("bert@example.com").Value!, "", new Dictionary<string, string>(), ImportBasis.Customer, null, null, null, null, null, at.AddYears(-2));
        var records = new[]
        {
            new ParsedRecord(2, full, null, null, full.Address.Value),
            new ParsedRecord(3, customer, null, null, customer.Address.Value),
            new ParsedRecord(4, null, ImportOutcomes.SkippedMalformed, "broken quoting", "x\"y@example.com"),
        };
        try
        {
            Assert.Null(ImportRowFile.TryRead(upload));
            using (var w = new ImportRowFile.Writer(upload))
            {
                foreach (var r in records)
                    w.Add(r);
                // Not complete yet: nothing to read, so a crash during the check falls back to the CSV.
                Assert.Null(ImportRowFile.TryRead(upload));
                w.Complete();
            }
            var read = ImportRowFile.TryRead(upload)!.ToList();
            Assert.Equal(3, read.Count);
            for (var i = 0; i < records.Length; i++)
            {
                var (a, b) = (records[i], read[i]);
                Assert.Equal((a.Line, a.Outcome, a.Reason, a.Email), (b.Line, b.Outcome, b.Reason, b.Email));
                if (a.Row is null)
                {
                    Assert.Null(b.Row);
                    continue;
                }
                Assert.Equal(a.Row with { Attributes = b.Row!.Attributes }, b.Row);
                Assert.Equal(a.Row.Attributes, b.Row.Attributes);
            }
        }
        finally
        {
            File.Delete(upload);
            ImportRowFile.Delete(upload);
        }
    }
}
