using System.CommandLine;
using System.Globalization;
using Lupa.Domain.Campaigns;
using Lupa.Hosting;
using Lupa.Storage;
using Spectre.Console;

namespace Lupa.Campaigns;

/// <summary>The terminal verbs of campaigns: <c>lupa campaigns list|send|pause|resume|cancel</c>.</summary>
public static class CampaignCommands
{
    /// <summary>Adds the verbs to the root command.</summary>
    public static void Add(RootCommand root)
    {
        var campaigns = new Command("campaigns", "Campaigns: list them, start one and watch it, pause, resume or cancel.");
        campaigns.Subcommands.Add(ListCommand());
        campaigns.Subcommands.Add(SendCommand());
        campaigns.Subcommands.Add(ActCommand("pause", "Pauses sending; messages in flight finish.", CampaignStatus.Action.Pause));
        campaigns.Subcommands.Add(ActCommand("resume", "Resumes a paused campaign.", CampaignStatus.Action.Resume));
        campaigns.Subcommands.Add(ActCommand("cancel", "Cancels a campaign; recipients not yet sent to get nothing.", CampaignStatus.Action.Cancel));
        root.Subcommands.Add(campaigns);
    }

    private static async Task<WebApplication> AppAsync(ParseResult parse) =>
        await LupaHost.BuildAsync(LupaHost.CreateBuilder([.. parse.UnmatchedTokens, "--Logging:LogLevel:Default=Warning"]), Console.Error);

    private static async Task<long?> OrganisationOfAsync(WebApplication app, long id, string verb)
    {
        var org = await new CampaignQueue(app.Services.GetRequiredService<LupaDatabase>()).OrganisationOfAsync(id);
        if (org is null)
            await Console.Error.WriteLineAsync($"lupa campaigns {verb}: no campaign {id}");
        return org;
    }

    private static Command ListCommand()
    {
        var org = new Option<string>("--org") { Description = "The organisation's slug.", Required = true };
        var command = new Command("list", "Lists an organisation's campaigns with their progress.") { TreatUnmatchedTokensAsErrors = false };
        command.Options.Add(org);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await AppAsync(parse);
            var o = await app.Services.GetRequiredService<SystemStore>().FindOrganisationAsync(parse.GetValue(org)!, ct);
            if (o is null)
            {
                await Console.Error.WriteLineAsync($"lupa campaigns list: no organisation '{parse.GetValue(org)}'");
                return 2;
            }
            var store = app.Services.GetRequiredService<CampaignService>().For(o.Id);
            var table = new Table().AddColumns("id", "name", "status", "total", "sent", "failed", "skipped");
            foreach (var c in await store.ListAsync(ct))
                table.AddRow(N(c.Id), Markup.Escape(c.Name), c.Status, N(c.Total), N(c.Sent), N(c.Failed), N(c.Skipped));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static Command SendCommand()
    {
        var id = new Argument<long>("ID") { Description = "The campaign's id." };
        var wait = new Option<bool>("--wait") { Description = "Stay and show progress until the campaign ends; this terminal also sends, as one more node." };
        var command = new Command("send", "Runs the compliance check and starts the campaign.") { TreatUnmatchedTokensAsErrors = false };
        command.Arguments.Add(id);
        command.Options.Add(wait);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await AppAsync(parse);
            var campaignId = parse.GetValue(id);
            if (await OrganisationOfAsync(app, campaignId, "send") is not { } orgId)
                return 2;
            var service = app.Services.GetRequiredService<CampaignService>();
            var store = service.For(orgId);
            var before = await store.GetAsync(campaignId, ct);
            if (before!.Status is not (CampaignStatus.Sending or CampaignStatus.Paused))
            {
                var refusal = await service.StartAsync(orgId, campaignId, ct);
                if (refusal is not null)
                {
                    await Console.Error.WriteLineAsync($"lupa campaigns send: {refusal.Message}");
                    foreach (var p in refusal.Problems ?? [])
                        await Console.Error.WriteLineAsync($"  - {p.Code}: {p.Message}");
                    return refusal.Status == 422 ? 3 : 2;
                }
            }
            var started = (await store.GetAsync(campaignId, ct))!;
            Console.WriteLine($"Campaign {campaignId} is {started.Status}: {started.Total:N0} recipients.");
            if (!parse.GetValue(wait))
                return 0;
            return await WaitAsync(app, store, campaignId, ct);
        });
        return command;
    }

    private static async Task<int> WaitAsync(WebApplication app, CampaignStore store, long campaignId, CancellationToken ct)
    {
        var sender = ActivatorUtilities.CreateInstance<CampaignSender>(app.Services);
        await sender.StartAsync(ct);
        var clock = app.Services.GetRequiredService<TimeProvider>();
        CampaignRow last = (await store.GetAsync(campaignId, ct))!;
        try
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask("Sending", maxValue: Math.Max(1, last.Total));
                    while (!ct.IsCancellationRequested)
                    {
                        last = (await store.GetAsync(campaignId, ct))!;
                        var p = await store.ProgressAsync(last, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
                        bar.MaxValue = Math.Max(1, p.Total);
                        bar.Value = p.Total - p.Remaining;
                        bar.Description = last.Status == CampaignStatus.Sending
                            ? $"Sending: {p.Sent:N0} sent, {p.Failed:N0} failed, {p.RatePerSecond:N0}/s"
                            : $"{Markup.Escape(last.Status)}: {p.Sent:N0} sent, {p.Failed:N0} failed{(last.StatusReason is null ? "" : " — " + Markup.Escape(last.StatusReason))}";
                        if (last.Status is CampaignStatus.Sent or CampaignStatus.Cancelled or CampaignStatus.Draft)
                            break;
                        await Task.Delay(500, ct);
                    }
                });
        }
        finally
        {
            await sender.StopAsync(CancellationToken.None);
        }
        Console.WriteLine($"Campaign {campaignId} {last.Status}: {last.Sent:N0} sent, {last.Failed:N0} failed, {last.Skipped:N0} skipped of {last.Total:N0}.");
        return last.Status == CampaignStatus.Sent ? 0 : 1;
    }

    private static Command ActCommand(string verb, string description, CampaignStatus.Action action)
    {
        var id = new Argument<long>("ID") { Description = "The campaign's id." };
        var command = new Command(verb, description) { TreatUnmatchedTokensAsErrors = false };
        command.Arguments.Add(id);
        command.SetAction(async (parse, ct) =>
        {
            await using var app = await AppAsync(parse);
            var campaignId = parse.GetValue(id);
            if (await OrganisationOfAsync(app, campaignId, verb) is not { } orgId)
                return 2;
            var refusal = await app.Services.GetRequiredService<CampaignService>().ActAsync(orgId, campaignId, action, ct);
            if (refusal is not null)
            {
                await Console.Error.WriteLineAsync($"lupa campaigns {verb}: {refusal.Message}");
                return 2;
            }
            var c = await app.Services.GetRequiredService<CampaignService>().For(orgId).GetAsync(campaignId, ct);
            Console.WriteLine($"Campaign {campaignId} is {c!.Status}.");
            return 0;
        });
        return command;
    }
}
