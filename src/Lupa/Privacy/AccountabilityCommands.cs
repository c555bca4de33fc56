using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lupa.Domain.Privacy;
using Lupa.Imports;
using Lupa.Storage;
using Spectre.Console;

namespace Lupa.Privacy;

/// <summary>
/// The terminal verbs of accountability: <c>lupa audit verify</c>, <c>lupa retention run [--org] [--dry-run]</c> and
/// <c>lupa records [--org] [--format]</c>.
/// </summary>
public static class AccountabilityCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Adds the verbs to the root command.</summary>
    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(RetentionCommand());
        root.Subcommands.Add(RecordsCommand());
    }

    private static Command AuditCommand()
    {
        var audit = new Command("audit", "The audit trail.");
        var verify = new Command("verify",
            "Checks the hash chain of the audit trail and its head; reports the first broken link, or that entries at the end were removed.")
        { TreatUnmatchedTokensAsErrors = false };
        verify.SetAction(async (parse, ct) =>
        {
            await using var app = await ImportCommands.AppAsync(parse);
            AuditCheck check = null!;
            await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn()).StartAsync(async ctx =>
            {
                var task = ctx.AddTask("Checking the audit trail", maxValue: 1);
                task.IsIndeterminate = true;
                check = await new AuditStore(app.Services.GetRequiredService<LupaDatabase>())
                    .CheckAsync(new ImportCommands.SyncProgress<long>(n => task.Description = $"Checking the audit trail: {n:N0} entries"), ct);
                task.IsIndeterminate = false;
                task.Value = 1;
            });
            var head = $"head: {check.HeadEntries.ToString("N0", CultureInfo.InvariantCulture)} entries, last hash {check.HeadHash}" +
                (check.Keyed ? " (keyed)" : " (not keyed: set Lupa:Secrets:AuditKey so the head cannot be rewritten without the key)");
            if (check.Intact)
            {
                Console.WriteLine($"The audit trail is intact: {check.Entries.ToString("N0", CultureInfo.InvariantCulture)} entries.");
                Console.WriteLine(head);
                return 0;
            }
            await Console.Error.WriteLineAsync($"The audit trail is broken at entry {check.BrokenAt}: {check.Problem}");
            await Console.Error.WriteLineAsync(head);
            return 1;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }

    private static Command RetentionCommand()
    {
        var retention = new Command("retention", "Retention policies: what is removed after how long.");
        var org = new Option<string?>("--org") { Description = "One organisation's slug (default: every organisation)." };
        var dry = new Option<bool>("--dry-run") { Description = "Only count what would be removed; change nothing." };
        var run = new Command("run", "Applies the retention policies now, showing progress, and logs what was removed (the daily job does the same).")
        { TreatUnmatchedTokensAsErrors = false };
        run.Options.Add(org);
        run.Options.Add(dry);
        run.SetAction(async (parse, ct) =>
        {
            await using var app = await ImportCommands.AppAsync(parse);
            var system = app.Services.GetRequiredService<SystemStore>();
            IReadOnlyList<OrganisationRow> orgs;
            if (parse.GetValue(org) is { } slug)
            {
                if (await ImportCommands.OrgAsync(app, slug) is not { } one)
                    return 2;
                orgs = [one];
            }
            else
                orgs = await system.ListOrganisationsAsync(ct);
            var service = app.Services.GetRequiredService<RetentionService>();
            var dryRun = parse.GetValue(dry);
            var results = new List<(OrganisationRow Org, RetentionRunResult? Result, string? Error)>();
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var overall = ctx.AddTask(dryRun ? "Counting" : "Applying retention", maxValue: Math.Max(1, orgs.Count));
                    foreach (var o in orgs)
                    {
                        var task = ctx.AddTask(Markup.Escape(o.Slug), maxValue: RetentionSteps.All.Count);
                        var progress = new ImportCommands.SyncProgress<RetentionProgress>(p =>
                        {
                            task.Value = RetentionSteps.All.ToList().IndexOf(p.Step);
                            task.Description = Markup.Escape($"{o.Slug}: {RetentionSteps.Label(p.Step)} {p.Done:N0}");
                        });
                        try
                        {
                            results.Add((o, await service.RunAsync(o, "cli:" + Environment.UserName, dryRun, null, progress, ct), null));
                            task.Description = Markup.Escape(o.Slug);
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            results.Add((o, null, e.Message));
                            task.Description = Markup.Escape(o.Slug) + " [red]failed[/]";
                        }
                        task.Value = task.MaxValue;
                        overall.Increment(1);
                    }
                });
            var table = new Table().Title(dryRun ? "Would remove (dry run)" : "Removed").AddColumn("step");
            foreach (var (o, _, _) in results)
                table.AddColumn(new TableColumn(Markup.Escape(o.Slug)).RightAligned());
            foreach (var step in RetentionSteps.All)
                table.AddRow([RetentionSteps.Label(step), .. results.Select(r => r.Result is { } x ? x.Counts[step].ToString("N0", CultureInfo.InvariantCulture) : "-")]);
            AnsiConsole.Write(table);
            foreach (var (o, _, error) in results.Where(r => r.Error is not null))
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(o.Slug)} failed:[/] {Markup.Escape(error!)}");
            return results.Any(r => r.Error is not null) ? 1 : 0;
        });
        retention.Subcommands.Add(run);
        return retention;
    }

    private static Command RecordsCommand()
    {
        var org = new Option<string?>("--org") { Description = "The organisation's record as controller (default: the operator's record as processor)." };
        var format = new Option<string>("--format") { Description = "markdown or json.", DefaultValueFactory = _ => "markdown" };
        format.AcceptOnlyFromAmong("markdown", "json");
        var records = new Command("records", "Prints the records of processing (GDPR Article 30) generated from what Lupa knows.") { TreatUnmatchedTokensAsErrors = false };
        records.Options.Add(org);
        records.Options.Add(format);
        records.SetAction(async (parse, ct) =>
        {
            await using var app = await ImportCommands.AppAsync(parse);
            var builder = app.Services.GetRequiredService<RecordsOfProcessing>();
            var markdown = parse.GetValue(format) != "json";
            if (parse.GetValue(org) is { } slug)
            {
                if (await ImportCommands.OrgAsync(app, slug) is not { } o)
                    return 2;
                var record = await builder.ControllerAsync(o, ct);
                Console.Write(markdown ? RecordsMarkdown.Write(record) : JsonSerializer.Serialize(record, Json) + "\n");
                return 0;
            }
            var processor = await builder.ProcessorAsync(ct);
            Console.Write(markdown ? RecordsMarkdown.Write(processor) : JsonSerializer.Serialize(processor, Json) + "\n");
            return 0;
        });
        return records;
    }
}
