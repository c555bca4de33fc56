using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lupa.Domain.Imports;
using Lupa.Hosting;
using Lupa.Lists;
using Lupa.Storage;
using Lupa.Subscriptions;
using Spectre.Console;

namespace Lupa.Imports;

/// <summary>The terminal verbs of imports and exports: <c>lupa import</c>, <c>lupa imports …</c>, <c>lupa export</c>.</summary>
public static class ImportCommands
{
    internal static async Task<WebApplication> AppAsync(ParseResult parse) =>
        await LupaHost.BuildAsync(LupaHost.CreateBuilder([.. parse.UnmatchedTokens, "--Logging:LogLevel:Default=Warning"]), Console.Error);

    internal static async Task<OrganisationRow?> OrgAsync(WebApplication app, string? slug)
    {
        var org = slug is null ? null : await app.Services.GetRequiredService<SystemStore>().FindOrganisationAsync(slug);
        if (org is null)
            await Console.Error.WriteLineAsync($"lupa: no organisation '{slug}'");
        return org;
    }

    /// <summary>Adds the verbs to the root command.</summary>
    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(ImportCommand());
        root.Subcommands.Add(ImportsCommand());
        root.Subcommands.Add(ExportCommand());
    }

    private static Command ImportCommand()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The CSV file to import." };
        var org = new Option<string>("--org") { Description = "The organisation's slug.", Required = true };
        var list = new Option<string[]>("--list") { Description = "A list slug (repeat for several lists).", Required = true, AllowMultipleArgumentsPerToken = true };
        var attest = new Option<bool>("--attest") { Description = "Confirm the attestation: " + ImportService.Attestation };
        var mode = new Option<string>("--update-mode") { Description = "For existing subscribers: update their attributes, or keep them.", DefaultValueFactory = _ => "update" };
        var map = new Option<string[]>("--map") { Description = "Map a column: 'Header=field' (field, attribute:NAME or ignore). Repeatable.", AllowMultipleArgumentsPerToken = true };
        var report = new Option<FileInfo?>("--report") { Description = "Write the per-row report (CSV) to this file." };
        var command = new Command("import", "Imports a CSV into lists, with proof of consent, showing progress and a summary.") { TreatUnmatchedTokensAsErrors = false };
        command.Arguments.Add(file);
        foreach (var o in new Option[] { org, list, attest, mode, map, report })
            command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"lupa import: no file {path.FullName}");
                return 2;
            }
            var mapping = new Dictionary<string, string>();
            foreach (var m in parse.GetValue(map) ?? [])
            {
                var eq = m.LastIndexOf('=');
                if (eq <= 0)
                {
                    await Console.Error.WriteLineAsync($"lupa import: --map takes 'Header=field', not '{m}'");
                    return 2;
                }
                mapping[m[..eq]] = m[(eq + 1)..];
            }
            await using var app = await AppAsync(parse);
            var o = await OrgAsync(app, parse.GetValue(org));
            if (o is null)
                return 2;
            var service = app.Services.GetRequiredService<ImportService>();
            ImportJobRow job;
            await using (var content = path.OpenRead())
            {
                var created = await service.CreateAsync(new ImportRequest(o.Id, parse.GetValue(list) ?? [], path.Name, mapping, parse.GetValue(mode) ?? "update",
                    parse.GetValue(attest), "cli:" + Environment.UserName), content, ct);
                if (!created.IsOk)
                {
                    await Console.Error.WriteLineAsync($"lupa import: {created.Code}: {created.Reason}" + (created.Code == "attestation" ? " (add --attest)" : ""));
                    return 2;
                }
                job = created.Value!;
            }
            var store = new ImportStore(app.Services.GetRequiredService<LupaDatabase>());
            // A running server's import worker may claim the new import first: then this command follows it there
            // instead of running it a second time.
            var claimed = await store.ClaimNextAsync(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 120_000, job.Id, ct);
            var runner = app.Services.GetRequiredService<ImportRunner>();
            ImportJobRow result = job;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var check = ctx.AddTask("Purchased-list check", maxValue: 1);
                    var apply = ctx.AddTask("Importing rows", autoStart: false, maxValue: 1);
                    var progress = new SyncProgress<ImportProgress>(p =>
                    {
                        if (p.Phase == "check")
                        {
                            check.MaxValue = Math.Max(1, p.Total == 0 ? p.Done + 1 : p.Total);
                            check.Value = p.Done;
                        }
                        else
                        {
                            check.Value = check.MaxValue;
                            if (!apply.IsStarted)
                                apply.StartTask();
                            apply.MaxValue = Math.Max(1, p.Total);
                            apply.Value = p.Done;
                        }
                    });
                    result = claimed is null
                        ? await FollowAsync(store, job.Id, progress, ct)
                        : await runner.RunAsync(claimed, progress, ct);
                    check.Value = check.MaxValue;
                    if (result.Status == ImportStatuses.Done)
                        apply.Value = apply.MaxValue;
                });
            PrintSummary(result);
            if (parse.GetValue(report) is { } reportFile)
            {
                await using var w = new StreamWriter(reportFile.FullName);
                await foreach (var chunk in store.ReadReportAsync(o.Id, result.Id, ct))
                    await w.WriteAsync(chunk);
                await app.Services.GetRequiredService<Lupa.Privacy.AuditTrail>().RecordAsync(o.Id, "cli:" + Environment.UserName,
                    Lupa.Domain.Privacy.AuditActions.ImportReport, "import:" + result.Id, new { format = "csv" }, ct);
                Console.WriteLine($"Report written to {reportFile.FullName}");
            }
            return result.Status switch
            {
                ImportStatuses.Done => 0,
                ImportStatuses.Held => 3,
                _ => 1,
            };
        });
        return command;
    }

    /// <summary>Shows the progress of an import another process runs, until it is done, held, failed or rejected.</summary>
    private static async Task<ImportJobRow> FollowAsync(ImportStore store, long id, IProgress<ImportProgress> progress, CancellationToken ct)
    {
        while (true)
        {
            var job = await store.GetAnyAsync(id, ct) ?? throw new InvalidOperationException($"import {id} is gone");
            if (job.Status is ImportStatuses.Done or ImportStatuses.Held or ImportStatuses.Failed or ImportStatuses.Rejected)
                return job;
            progress.Report(job.TotalRows == 0 ? new ImportProgress("check", 0, 0) : new ImportProgress("apply", job.ProcessedRows, job.TotalRows));
            await Task.Delay(250, ct);
        }
    }

    private static void PrintSummary(ImportJobRow job)
    {
        var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(job.Counts) ?? [];
        var table = new Table().Title($"Import #{job.Id}: {job.Status}").AddColumns("outcome", "rows");
        foreach (var outcome in ImportOutcomes.All)
            table.AddRow(outcome, counts.GetValueOrDefault(outcome).ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("[bold]total[/]", $"[bold]{job.ProcessedRows.ToString("N0", CultureInfo.InvariantCulture)}[/]");
        AnsiConsole.Write(table);
        if (job.Status == ImportStatuses.Held)
            AnsiConsole.MarkupLine($"[yellow]Held for the operator's review:[/] {Markup.Escape(job.HeldReasons ?? "")}. Nothing was activated.");
        if (job.Error is not null)
            AnsiConsole.MarkupLine($"[red]Failed:[/] {Markup.Escape(job.Error)}");
    }

    private static Command ImportsCommand()
    {
        var imports = new Command("imports", "Import jobs: list them, and approve or reject held ones (the operator).");
        var org = new Option<string>("--org") { Description = "The organisation's slug.", Required = true };
        var list = new Command("list", "Lists an organisation's imports.") { TreatUnmatchedTokensAsErrors = false };
        list.Options.Add(org);
        list.SetAction(async (parse, ct) =>
        {
            await using var app = await AppAsync(parse);
            var o = await OrgAsync(app, parse.GetValue(org));
            if (o is null)
                return 2;
            var table = new Table().AddColumns("id", "file", "status", "rows", "created");
            foreach (var j in await new ImportStore(app.Services.GetRequiredService<LupaDatabase>()).ListAsync(o.Id, 100, ct))
                table.AddRow(j.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(j.FileName), j.Status, $"{j.ProcessedRows}/{j.TotalRows}", DateTimeOffset.FromUnixTimeMilliseconds(j.CreatedAt).ToString("u", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        });
        imports.Subcommands.Add(list);
        foreach (var approve in new[] { true, false })
        {
            var id = new Argument<long>("ID") { Description = "The import's id." };
            var note = new Option<string>("--note") { Description = "The reason, sent to the organisation.", Required = !approve };
            var review = new Command(approve ? "approve" : "reject", approve ? "Approves a held import; the workers then run it." : "Rejects a held import; nothing from it is activated.") { TreatUnmatchedTokensAsErrors = false };
            review.Arguments.Add(id);
            review.Options.Add(note);
            review.SetAction(async (parse, ct) =>
            {
                await using var app = await AppAsync(parse);
                var store = new ImportStore(app.Services.GetRequiredService<LupaDatabase>());
                var importId = parse.GetValue(id);
                var job = await store.GetAnyAsync(importId, ct);
                var text = parse.GetValue(note) ?? "";
                if (job is null || !await store.ReviewAsync(importId, approve, text, "operator (cli)", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ct))
                {
                    await Console.Error.WriteLineAsync($"lupa imports: import {importId} is not held for review");
                    return 2;
                }
                await app.Services.GetRequiredService<Lupa.Privacy.AuditTrail>().RecordAsync(job.OrgId, "cli:" + Environment.UserName,
                    Lupa.Domain.Privacy.AuditActions.ImportReview, "import:" + importId, new { decision = approve ? "approve" : "reject" }, ct);
                if (!approve)
                    ImportRunner.DeleteUpload(job);
                await app.Services.GetRequiredService<SubscriptionService>().NotifyOwnersAsync(job.OrgId, $"Import #{importId} {(approve ? "approved" : "rejected")}",
                    $"The operator {(approve ? "approved" : "rejected")} your import #{importId} ({job.FileName}).{(text.Length > 0 ? "\n\nNote: " + text : "")}", ct);
                Console.WriteLine($"Import {importId} {(approve ? "approved: it runs on the next worker" : "rejected")}.");
                return 0;
            });
            imports.Subcommands.Add(review);
        }
        return imports;
    }

    private static Command ExportCommand()
    {
        var org = new Option<string>("--org") { Description = "The organisation's slug.", Required = true };
        var list = new Option<string>("--list") { Description = "The list's slug.", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "The CSV file to write (default: standard output)." };
        var command = new Command("export", "Exports a list's confirmed subscribers as CSV (restricted people left out); recorded in the audit trail.") { TreatUnmatchedTokensAsErrors = false };
        command.Options.Add(org);
        command.Options.Add(list);
        command.Options.Add(output);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await AppAsync(parse);
            var o = await OrgAsync(app, parse.GetValue(org));
            if (o is null)
                return 2;
            var l = await app.Services.GetRequiredService<SubscriptionService>().For(o.Id).FindListAsync(parse.GetValue(list)!, ct);
            if (l is null)
            {
                await Console.Error.WriteLineAsync($"lupa export: no list '{parse.GetValue(list)}' in {o.Slug}");
                return 2;
            }
            var export = app.Services.GetRequiredService<ListExport>();
            var actor = "cli:" + Environment.UserName;
            if (parse.GetValue(output) is not { } file)
            {
                await using var stdout = Console.OpenStandardOutput();
                await export.WriteAsync(o.Id, l, stdout, actor, null, ct);
                return 0;
            }
            long rows = 0;
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn()).StartAsync(async ctx =>
            {
                var task = ctx.AddTask("Exporting", maxValue: 1);
                task.IsIndeterminate = true;
                await using var stream = file.Create();
                rows = await export.WriteAsync(o.Id, l, stream, actor, new SyncProgress<long>(n => task.Description = $"Exporting: {n:N0} rows"), ct);
                task.IsIndeterminate = false;
                task.Value = 1;
            });
            Console.WriteLine($"{rows:N0} subscribers written to {file.FullName}");
            return 0;
        });
        return command;
    }

    /// <summary>An IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool and can report late).</summary>
    internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
