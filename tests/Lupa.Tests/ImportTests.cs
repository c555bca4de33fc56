using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lupa.Tests;

public sealed class ImportTests
{
    internal static async Task<JsonElement> UploadAsync(HttpClient api, string csv, string lists = "news", bool attest = true, string? mapping = null, string updateMode = "update", Encoding? encoding = null, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent((encoding ?? new UTF8Encoding(false)).GetBytes(csv));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "people.csv");
        form.Add(new StringContent(lists), "lists");
        form.Add(new StringContent(attest ? "true" : "false"), "attestation");
        form.Add(new StringContent(updateMode), "updateMode");
        if (mapping is not null)
            form.Add(new StringContent(mapping), "mapping");
        var response = await api.PostAsync("/api/v1/imports", form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal static async Task<JsonElement> WaitAsync(HttpClient api, long id, params string[] until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/imports/{id}")).RootElement.Clone();
            var status = job.GetProperty("status").GetString();
            if (until.Contains(status) || DateTime.UtcNow > deadline)
                return job;
            await Task.Delay(100);
        }
    }

    internal static async Task<Dictionary<long, (string Outcome, string Reason, string Email)>> ReportAsync(HttpClient api, long id)
    {
        var csv = await api.GetStringAsync($"/api/v1/imports/{id}/report");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,email,outcome,reason", lines[0]);
        var result = new Dictionary<long, (string, string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var parts = SplitCsv(line);
            result[long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)] = (parts[2], parts[3], parts[1]);
        }
        return result;
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }

    private static async Task<(LupaTestHost Host, Lupa.Organisations.CreatedOrganisation Org, HttpClient Api)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var host = await LupaTestHost.StartAsync(settings);
        var org = await host.CreateOrganisationAsync("acme");
        await host.CreateListAsync(org.ApiKey, new { name = "News", slug = "news", consentWording = "News please." });
        return (host, org, host.Api(org.ApiKey));
    }

    [Fact]
    public async Task Every_row_ends_in_exactly_one_outcome_with_a_reason()
    {
        var (host, org, api) = await StartAsync();
        await using var _ = host;
        using var __ = api;
        // Someone who unsubscribed earlier, and an existing subscriber.
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "left@example.com", lists = new[] { "news" }, consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-9), method = "form", source = "https://acme.test" } }));
        var left = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=left@example.com")).RootElement.GetProperty("items")[0];
        await api.DeleteAsync($"/api/v1/subscribers/{left.GetProperty("id").GetInt64()}/lists/{left.GetProperty("subscriptions")[0].GetProperty("listId").GetInt64()}");
        await api.PostAsync("/api/v1/subscribers", LupaTestHost.Json(new { email = "known@example.com", name = "Known", lists = new[] { "news" }, consent = new { timestamp = DateTimeOffset.UtcNow.AddDays(-9), method = "form", source = "https://acme.test" } }));

        var csv = """
            email,name,city,consent_at,consent_method,consent_source,consent_ip,consent_text,legal_basis,customer_since
            anna@example.com,Anna,Espoo,2026-03-01T10:00:00Z,form,https://acme.test/join,192.0.2.1,News please.,,
            bert@example.com,Bert,Turku,,,,,,customer,2024-05-01
            cecilia@example.com,Cecilia,Oulu,,,,,,,
            left@example.com,Left,Vaasa,2026-03-01T10:00:00Z,form,https://acme.test/join,,,,
            not-an-address,Nobody,,2026-03-01T10:00:00Z,form,,,,,
            anna@EXAMPLE.com,Anna again,,2026-03-01T10:00:00Z,form,,,,,
            future@example.com,Future,,2099-01-01T00:00:00Z,form,,,,,
            known@example.com,Known Renamed,Lahti,2026-02-01T08:00:00Z,paper,Fair,,,,
            ragged@example.com,Ragged
            nomethod@example.com,,,2026-03-01,,,,,,
            """;
        var job = await UploadAsync(api, csv);
        var id = job.GetProperty("id").GetInt64();
        Assert.Equal(ImportService_Attestation, job.GetProperty("attestation").GetString());
        var done = await WaitAsync(api, id, "done", "failed", "held");
        Assert.Equal("done", done.GetProperty("status").GetString());
        var report = await ReportAsync(api, id);
        Assert.Equal(10, report.Count);
        Assert.Equal("confirmed", report[2].Outcome);
        Assert.Equal("confirmed_customer", report[3].Outcome);
        Assert.Equal("refused_no_evidence", report[4].Outcome);
        Assert.Equal("skipped_suppressed", report[5].Outcome);
        Assert.Equal("unsubscribed", report[5].Reason);
        Assert.Equal("skipped_invalid_address", report[6].Outcome);
        Assert.True(report[7].Outcome == "skipped_duplicate", report[7].Reason);
        Assert.Equal("skipped_malformed", report[8].Outcome);
        Assert.Contains("future", report[8].Reason);
        Assert.Equal("existing", report[9].Outcome);
        Assert.Equal("skipped_malformed", report[10].Outcome);
        Assert.Equal("skipped_malformed", report[11].Outcome);
        var counts = done.GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("confirmed").GetInt64());
        Assert.Equal(3, counts.GetProperty("skipped_malformed").GetInt64());
        Assert.Equal(10, done.GetProperty("processedRows").GetInt64());

        // Anna: confirmed with an import consent record carrying the evidence, the import id and who imported.
        var anna = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=anna@example.com")).RootElement.GetProperty("items")[0];
        Assert.Equal("confirmed", anna.GetProperty("subscriptions")[0].GetProperty("status").GetString());
        var record = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{anna.GetProperty("id").GetInt64()}/consents")).RootElement.EnumerateArray());
        Assert.Equal("import", record.GetProperty("method").GetString());
        Assert.Equal("form", record.GetProperty("evidenceMethod").GetString());
        Assert.Equal(id, record.GetProperty("importId").GetInt64());
        Assert.Equal("192.0.2.1", record.GetProperty("ip").GetString());
        Assert.Equal("https://acme.test/join", record.GetProperty("source").GetString());
        Assert.Equal("News please.", record.GetProperty("wordingText").GetString());
        Assert.Contains("import:" + id, record.GetProperty("actor").GetString());
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero), record.GetProperty("occurredAt").GetDateTimeOffset());

        var bert = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=bert@example.com")).RootElement.GetProperty("items")[0];
        var bertRecord = Assert.Single(JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{bert.GetProperty("id").GetInt64()}/consents")).RootElement.EnumerateArray());
        Assert.Equal("customer", bertRecord.GetProperty("legalBasis").GetString());

        // Refused and suppressed people were not stored or brought back.
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=cecilia@example.com")).RootElement.GetProperty("items").GetArrayLength());
        var leftAfter = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=left@example.com")).RootElement.GetProperty("items")[0];
        Assert.Equal("unsubscribed", leftAfter.GetProperty("subscriptions")[0].GetProperty("status").GetString());

        // The existing subscriber: attributes updated, history appended, never overwritten.
        var known = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=known@example.com")).RootElement.GetProperty("items")[0];
        Assert.Equal("Known Renamed", known.GetProperty("name").GetString());
        Assert.Equal(2, JsonDocument.Parse(await api.GetStringAsync($"/api/v1/subscribers/{known.GetProperty("id").GetInt64()}/consents")).RootElement.GetArrayLength());

        // The same file again changes nothing.
        var consentsBefore = await CountConsentsAsync(host);
        var again = await UploadAsync(api, csv);
        var second = await WaitAsync(api, again.GetProperty("id").GetInt64(), "done", "failed", "held");
        Assert.Equal("done", second.GetProperty("status").GetString());
        Assert.Equal(consentsBefore, await CountConsentsAsync(host));
        Assert.Equal(0, second.GetProperty("counts").GetProperty("confirmed").GetInt64());
    }

    private const string ImportService_Attestation = Lupa.Imports.ImportService.Attestation;

    internal static async Task<long> CountConsentsAsync(LupaTestHost host)
    {
        await using var c = await host.Db.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM consent_records";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Without_attestation_or_an_email_column_nothing_is_stored()
    {
        var (host, _, api) = await StartAsync();
        await using var _h = host;
        using var _a = api;
        var noAttestation = await UploadAsync(api, "email\na@example.com\n", attest: false, expected: HttpStatusCode.UnprocessableEntity);
        Assert.Contains("attestation", noAttestation.GetProperty("detail").GetString());
        var noEmail = await UploadAsync(api, "name,city\nA,B\n", expected: HttpStatusCode.UnprocessableEntity);
        Assert.Contains("email", noEmail.GetProperty("detail").GetString());
        var binary = await UploadAsync(api, "\0\u0001\u0002junk\0\0", expected: HttpStatusCode.UnprocessableEntity);
        Assert.Contains("not text", binary.GetProperty("detail").GetString());
        var noList = await UploadAsync(api, "email\na@example.com\n", lists: "nope", expected: HttpStatusCode.UnprocessableEntity);
        Assert.Contains("nope", noList.GetProperty("detail").GetString());
        Assert.Equal(0, JsonDocument.Parse(await api.GetStringAsync("/api/v1/imports")).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Semicolons_windows_1252_a_bom_and_a_mapping_are_read()
    {
        var (host, _, api) = await StartAsync();
        await using var _h = host;
        using var _a = api;
        var csv = "Sähköposti;Nimi;consent_at;consent_method\r\nmatti@example.fi;Matti Meikäläinen;2026-01-02 10:00;paper\r\n";
        var job = await UploadAsync(api, csv, mapping: "{\"Sähköposti\":\"email\",\"Nimi\":\"name\"}", encoding: Encoding.GetEncoding(1252));
        var done = await WaitAsync(api, job.GetProperty("id").GetInt64(), "done", "failed", "held");
        Assert.Equal("done", done.GetProperty("status").GetString());
        var matti = JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=matti@example.fi")).RootElement.GetProperty("items")[0];
        Assert.Equal("Matti Meikäläinen", matti.GetProperty("name").GetString());

        var tabbed = "\uFEFFemail\tname\tconsent_at\tconsent_method\nliisa@example.fi\tLiisa\t2026-01-02\tevent\n";
        var job2 = await UploadAsync(api, tabbed, encoding: new UTF8Encoding(false));
        Assert.Equal("done", (await WaitAsync(api, job2.GetProperty("id").GetInt64(), "done", "failed")).GetProperty("status").GetString());
        Assert.Equal("Liisa", JsonDocument.Parse(await api.GetStringAsync("/api/v1/subscribers?email=liisa@example.fi")).RootElement.GetProperty("items")[0].GetProperty("name").GetString());
    }

    static ImportTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
