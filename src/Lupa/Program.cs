using System.CommandLine;
using System.Text.Json;
using Lupa.Hosting;
using Lupa.Organisations;
using Lupa.Security;
using Lupa.Storage;
using Spectre.Console;

namespace Lupa;

/// <summary>The <c>lupa</c> program: <c>serve</c> runs the web app and workers; other verbs do the same work from a terminal.</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Lupa: permission-based email marketing. Run 'lupa serve' to start the web app.");

        var serve = new Command("serve", "Runs the web app (admin UI, public pages, REST API) and the background workers.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.SetAction(async (parse, ct) =>
        {
            var app = await LupaHost.BuildAsync(LupaHost.CreateBuilder([.. parse.UnmatchedTokens]));
            await app.RunAsync(ct);
            return 0;
        });
        root.Subcommands.Add(serve);

        var migrate = new Command("migrate", "Applies database migrations and exits.") { TreatUnmatchedTokensAsErrors = false };
        migrate.SetAction(parse =>
        {
            using var db = LupaHost.OpenDatabase(Configuration([.. parse.UnmatchedTokens]));
            var ran = db.Migrate();
            Console.WriteLine(ran.Count == 0 ? "The database is up to date." : "Applied: " + string.Join(", ", ran));
            return 0;
        });
        root.Subcommands.Add(migrate);

        root.Subcommands.Add(OrganisationsCommand());
        root.Subcommands.Add(OperatorCommand());
        Lupa.Imports.ImportCommands.Add(root);
        Lupa.Campaigns.CampaignCommands.Add(root);
        Lupa.Privacy.AccountabilityCommands.Add(root);
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>Configuration for terminal verbs: appsettings.json in the current folder, environment variables, then extra --Key=value arguments.</summary>
    private static IConfiguration Configuration(string[] extra) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(Environment.CurrentDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(extra)
        .Build();

    private static Command OrganisationsCommand()
    {
        var orgs = new Command("orgs", "Customer organisations.");
        var create = new Command("create", "Creates an organisation with its owner and first API key.") { TreatUnmatchedTokensAsErrors = false };
        var name = new Option<string>("--name") { Description = "The organisation's name.", Required = true };
        var slug = new Option<string>("--slug") { Description = "Its URL name: a-z, 0-9 and hyphens.", Required = true };
        var owner = new Option<string>("--owner-email") { Description = "The owner's login address.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        create.Options.Add(name);
        create.Options.Add(slug);
        create.Options.Add(owner);
        create.Options.Add(json);
        create.SetAction(async (parse, ct) =>
        {
            using var db = LupaHost.OpenDatabase(Configuration([.. parse.UnmatchedTokens]));
            db.Migrate();
            var result = await new OrganisationService(db, TimeProvider.System).CreateAsync(parse.GetValue(name), parse.GetValue(slug), parse.GetValue(owner), ct);
            if (!result.IsOk)
            {
                await Console.Error.WriteLineAsync($"lupa orgs create: {result.Reason}");
                return 2;
            }
            var o = result.Value!;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { orgId = o.OrgId, slug = o.Slug, apiKey = o.ApiKey, ownerEmail = o.OwnerEmail, ownerPassword = o.OwnerPassword }));
            }
            else
            {
                var table = new Table().AddColumns("", "");
                table.AddRow("organisation id", o.OrgId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                table.AddRow("slug", Markup.Escape(o.Slug));
                table.AddRow("API key (shown once)", Markup.Escape(o.ApiKey));
                table.AddRow("owner login", Markup.Escape(o.OwnerEmail));
                table.AddRow("owner password (shown once)", Markup.Escape(o.OwnerPassword));
                AnsiConsole.Write(table);
            }
            return 0;
        });
        orgs.Subcommands.Add(create);

        var list = new Command("list", "Lists organisations.") { TreatUnmatchedTokensAsErrors = false };
        list.SetAction(async (parse, ct) =>
        {
            using var db = LupaHost.OpenDatabase(Configuration([.. parse.UnmatchedTokens]));
            db.Migrate();
            var table = new Table().AddColumns("id", "slug", "name");
            foreach (var o in await new SystemStore(db).ListOrganisationsAsync(ct))
                table.AddRow(o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(o.Slug), Markup.Escape(o.Name));
            AnsiConsole.Write(table);
            return 0;
        });
        orgs.Subcommands.Add(list);
        return orgs;
    }

    private static Command OperatorCommand()
    {
        var op = new Command("operator", "The operator account.");
        var password = new Command("password", "Sets a new random password for the operator and prints it.") { TreatUnmatchedTokensAsErrors = false };
        password.SetAction(async (parse, ct) =>
        {
            var configuration = Configuration([.. parse.UnmatchedTokens]);
            using var db = LupaHost.OpenDatabase(configuration);
            db.Migrate();
            var email = configuration["Lupa:Operator:Email"] ?? new OperatorOptions().Email;
            var secret = Passwords.Generate();
            await new SystemStore(db).SetOperatorAsync(email, Passwords.Hash(secret), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ct);
            Console.WriteLine($"operator {email}: new password {secret}");
            return 0;
        });
        op.Subcommands.Add(password);
        return op;
    }
}
