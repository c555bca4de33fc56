using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lupa.Domain.Imports;
using Lupa.Imports;
using Lupa.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lupa.Browser.Tests;

/// <summary>Imports in a real browser: the owner's upload, mapping step and summary; the operator's review of a held import.</summary>
public sealed class AdminImportTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    private static async Task<JsonElement> WaitForStatusAsync(HttpClient api, long id, params string[] until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/imports/{id}")).RootElement.Clone();
            if (until.Contains(job.GetProperty("status").GetString()) || DateTime.UtcNow > deadline)
                return job;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Owner_imports_a_csv_through_the_mapping_step_and_reads_the_summary()
    {
        var org = await fx.Host.CreateOrganisationAsync("kahvila");
        await fx.Host.CreateListAsync(org.ApiKey, new { name = "Kahvila Letter", slug = "letter", language = "en", consentWording = "Send me the Kahvila letter." });
        var consentAt = DateTimeOffset.UtcNow.AddDays(-40).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var csv = $"""
            Sähköposti,name,consent_at,consent_method,consent_source,legal_basis,customer_since
            anna@kahvila-fans.example,Anna Aalto,{consentAt},form,https://kahvila.example/join,,
            bertta@kahvila-fans.example,Bertta Berg,,,,customer,2023-05-01
            cecilia@kahvila-fans.example,Cecilia Corte,,,,,
            not-an-address,Nobody,{consentAt},form,,,
            ANNA@kahvila-fans.example,Anna again,{consentAt},form,,,
            """;
        var folder = Directory.CreateTempSubdirectory("lupa-import-").FullName;
        var file = Path.Combine(folder, "kahvila-customers.csv");
        await File.WriteAllTextAsync(file, csv.ReplaceLineEndings("\n") + "\n", new UTF8Encoding(false));
        var page = await fx.NewPageAsync();
        try
        {
            await AdminPages.LogInAsync(page, org.OwnerEmail, org.OwnerPassword);
            await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Imports" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/admin/o/kahvila/imports$"));
            await Expect(page.Locator("#no-imports")).ToBeVisibleAsync();
            await Expect(page.Locator("#import-settings select[name=noEvidencePolicy]")).ToHaveValueAsync("refuse");

            // Step 1: the file, the list (the only one is chosen already), the update mode.
            await page.Locator("#file").SetInputFilesAsync(file);
            await Expect(page.Locator("#lists option:checked")).ToHaveTextAsync("Kahvila Letter");
            await page.Locator("#updateMode").SelectOptionAsync("keep");
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload and map columns" }).ClickAsync();

            // Step 2: one row per column, guessed from the headers; "Sähköposti" is not a known name.
            var mapping = page.Locator("#mapping tr.mapping-row");
            await Expect(mapping).ToHaveCountAsync(7);
            var email = page.Locator("select[name='map[Sähköposti]']");
            await Expect(email).ToHaveValueAsync("attribute:Sähköposti");
            await Expect(page.Locator("select[name='map[name]']")).ToHaveValueAsync("name");
            await Expect(page.Locator("select[name='map[consent_at]']")).ToHaveValueAsync("consent_at");
            await Expect(page.Locator("select[name='map[customer_since]']")).ToHaveValueAsync("customer_since");
            await Expect(email.Locator("option")).ToHaveCountAsync(ImportColumns.Known.Count + 2);
            await Expect(page.Locator("#preview tr.preview-row")).ToHaveCountAsync(5);
            await Expect(page.Locator("#preview tr.preview-row").First).ToContainTextAsync("anna@kahvila-fans.example");
            await Expect(page.Locator("#no-evidence-policy")).ToHaveAttributeAsync("data-policy", "refuse");
            await Expect(page.Locator("#attestation")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("#attestation-text")).ToHaveTextAsync(ImportService.Attestation);
            await Expect(page.Locator("#staged-lists")).ToHaveTextAsync("Kahvila Letter");
            await email.SelectOptionAsync("email");
            await Screenshots.TakeAsync(page, "import-mapping.png");

            // Without the attestation nothing starts.
            await page.GetByRole(AriaRole.Button, new() { Name = "Start import" }).ClickAsync();
            await Expect(page.Locator("#form-error")).ToContainTextAsync("Tick the attestation");
            await Expect(page.Locator("select[name='map[Sähköposti]']")).ToHaveValueAsync("email");
            await page.Locator("#attestation").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Start import" }).ClickAsync();

            // The job page refreshes itself until the import is done.
            await Expect(page).ToHaveURLAsync(new Regex(@"/admin/o/kahvila/imports/\d+$"));
            await Expect(page.Locator("#status")).ToHaveTextAsync("done", new() { Timeout = 30_000 });
            await Expect(page.Locator("meta[http-equiv=refresh]")).ToHaveCountAsync(0);
            await Expect(page.Locator("#import-progress")).ToHaveAttributeAsync("value", "5");
            await Expect(page.Locator("#import-progress")).ToHaveAttributeAsync("max", "5");
            var expected = new Dictionary<string, int>
            {
                [ImportOutcomes.Confirmed] = 1,
                [ImportOutcomes.ConfirmedCustomer] = 1,
                [ImportOutcomes.RefusedNoEvidence] = 1,
                [ImportOutcomes.SkippedInvalidAddress] = 1,
                [ImportOutcomes.SkippedDuplicate] = 1,
            };
            await Expect(page.Locator("#import-summary tr.outcome-row")).ToHaveCountAsync(ImportOutcomes.All.Count);
            foreach (var outcome in ImportOutcomes.All)
                await Expect(page.Locator($"#import-summary tr[data-outcome={outcome}] td.count")).ToHaveTextAsync(expected.GetValueOrDefault(outcome).ToString(CultureInfo.InvariantCulture));
            await Expect(page.Locator("#risk tr.risk-row")).ToHaveCountAsync(5);
            await Expect(page.Locator("#risk tr[data-figure=without_evidence] td").Nth(1)).ToHaveTextAsync("1");
            await Expect(page.Locator("#risk tr[data-figure=without_evidence] td").Nth(2)).ToHaveTextAsync("3");
            await Expect(page.Locator("#risk .badge.exceeded")).ToHaveCountAsync(0);
            await Expect(page.Locator("#import-attestation")).ToHaveTextAsync(ImportService.Attestation);
            await Expect(page.Locator("#attested-by")).ToHaveTextAsync(org.OwnerEmail);

            // The report: every row with its line, outcome and reason.
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.report-download").ClickAsync());
            Assert.Matches(@"^import-\d+-report\.csv$", download.SuggestedFilename);
            var report = (await File.ReadAllTextAsync((await download.PathAsync())!)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("row,email,outcome,reason", report[0]);
            Assert.Equal(6, report.Length);
            Assert.StartsWith("2,anna@kahvila-fans.example,confirmed,", report[1]);
            Assert.StartsWith("3,bertta@kahvila-fans.example,confirmed_customer,", report[2]);
            Assert.StartsWith("4,cecilia@kahvila-fans.example,refused_no_evidence,", report[3]);
            Assert.StartsWith("5,not-an-address,skipped_invalid_address,", report[4]);
            Assert.StartsWith("6,ANNA@kahvila-fans.example,skipped_duplicate,", report[5]);
            await Screenshots.TakeAsync(page, "import-summary.png");

            // The list of imports shows it done.
            await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Imports" }).ClickAsync();
            var row = page.Locator("#imports tr.import-row");
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row.Locator(".badge")).ToHaveTextAsync("done");
            await Expect(row.Locator(".processed")).ToHaveTextAsync("5");
            await Expect(row).ToContainTextAsync("Kahvila Letter");
            await Expect(row).ToContainTextAsync("kahvila-customers.csv");
            await Screenshots.TakeAsync(page, "imports.png");

            // The two confirmed people are on the list, and its export has them.
            await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Lists" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Kahvila Letter" }).ClickAsync();
            var export = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.list-export").ClickAsync());
            Assert.Equal("letter.csv", export.SuggestedFilename);
            var exported = (await File.ReadAllTextAsync((await export.PathAsync())!)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(ListExportHeader, exported[0]);
            Assert.Equal(["anna@kahvila-fans.example", "bertta@kahvila-fans.example"], exported.Skip(1).Select(l => l.Split(',')[0]).Order());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            await page.Context.CloseAsync();
        }
    }

    private const string ListExportHeader = Lupa.Lists.ListExport.Header;

    /// <summary>Imports 40 role addresses at 40 domains with no evidence of consent to the list "news": the check holds it. Returns the import's id.</summary>
    internal static async Task<long> UploadFirmsAsync(HttpClient api)
    {
        var csv = new StringBuilder("email,name\n");
        string[] roles = ["info", "sales", "support"];
        for (var i = 0; i < 40; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{roles[i % 3]}@firm{i}.example,Firm {i}\n");
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(Encoding.UTF8.GetBytes(csv.ToString()));
        part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(part, "file", "firms.csv");
        form.Add(new StringContent("news"), "lists");
        form.Add(new StringContent("true"), "attestation");
        var posted = await api.PostAsync("/api/v1/imports", form);
        var body = await posted.Content.ReadAsStringAsync();
        Assert.True(posted.StatusCode == System.Net.HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>Waits until the import is held.</summary>
    internal static async Task WaitUntilHeldAsync(HttpClient api, long id) =>
        Assert.Equal("held", (await WaitForStatusAsync(api, id, "held", "done", "failed")).GetProperty("status").GetString());

    [Fact]
    public async Task Operator_approves_a_held_import()
    {
        var org = await fx.Host.CreateOrganisationAsync("tukku");
        await fx.Host.CreateListAsync(org.ApiKey, new { name = "Tukku News", slug = "news", language = "en", consentWording = "Send me Tukku news." });
        using var api = fx.Host.Api(org.ApiKey);

        var id = await UploadFirmsAsync(api);
        var held = await WaitForStatusAsync(api, id, "held", "done", "failed");
        Assert.Equal("held", held.GetProperty("status").GetString());
        var heldMail = Assert.Single(await fx.Host.WaitForMailAsync(org.OwnerEmail));
        Assert.Equal($"Import #{id} is held for review", heldMail.Subject);

        var page = await fx.NewPageAsync();
        try
        {
            await AdminPages.LogInAsync(page, "operator@lupa.localhost", "operator-password");
            await Expect(page).ToHaveURLAsync(new Regex("/admin$"));
            await Expect(page.Locator("#held-imports-count")).Not.ToHaveTextAsync("0");
            await page.Locator("nav.top").GetByRole(AriaRole.Link, new() { Name = "Import review" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/admin/imports$"));
            var row = page.Locator($"#held-imports tr.held-import[data-import-id='{id}']");
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row).ToContainTextAsync("tukku Oy");
            await Expect(row).ToContainTextAsync("firms.csv");
            await Expect(row.Locator("li[data-figure=role_addresses]")).ToContainTextAsync("40 of 40");
            await Expect(row.Locator("li[data-figure=without_evidence]")).ToContainTextAsync("40 of 40");
            const string note = "Checked with tukku: these are their own B2B customers' shared inboxes.";
            await row.Locator("textarea[name=note]").FillAsync(note);
            await Screenshots.TakeAsync(page, "operator-review.png");
            await row.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

            await Expect(page.Locator("#review-notice")).ToContainTextAsync($"Import #{id} approved");
            await Expect(page.Locator($"tr.held-import[data-import-id='{id}']")).ToHaveCountAsync(0);

            // The owners are told, with the note, and the import runs to its end.
            var mails = await fx.Host.WaitForMailAsync(org.OwnerEmail, 2);
            Assert.Equal(2, mails.Count);
            Assert.Equal($"Import #{id} approved", mails[1].Subject);
            var text = MailText.Parse(mails[1]).TextBody;
            Assert.Contains(note, text);
            var done = await WaitForStatusAsync(api, id, "done", "failed", "rejected");
            Assert.Equal("done", done.GetProperty("status").GetString());
            Assert.Equal(40, done.GetProperty("counts").GetProperty(ImportOutcomes.RefusedNoEvidence).GetInt64());
            Assert.Equal(note, done.GetProperty("reviewNote").GetString());

            // The operator's view of the organisation shows who reviewed it.
            await page.GotoAsync($"/admin/o/tukku/imports/{id}");
            await Expect(page.Locator("#status")).ToHaveTextAsync("done");
            await Expect(page.Locator("#review")).ToContainTextAsync("Approved by operator@lupa.localhost");
            await Expect(page.Locator("#review-note")).ToHaveTextAsync(note);
            await Expect(page.Locator("#held-reasons")).ToContainTextAsync("role addresses");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
