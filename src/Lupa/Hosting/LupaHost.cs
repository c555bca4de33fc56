using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lupa.Admin;
using Lupa.Api;
using Lupa.Organisations;
using Lupa.Outbox;
using Lupa.Security;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Lupa.Hosting;

/// <summary>Builds the Lupa web application: services, authentication, pages, API and workers.</summary>
public static class LupaHost
{
    /// <summary>The listening address when neither --urls nor ASPNETCORE_URLS says otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Reads configuration the ASP.NET Core way (appsettings.json, LUPA-prefixed and plain environment variables, command line).</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory, ApplicationName = typeof(LupaHost).Assembly.GetName().Name });
        // appsettings.json next to where Lupa is started wins over the one shipped with the program.
        builder.Configuration.AddJsonFile(Path.Combine(Environment.CurrentDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args);
        if (overrides is not null)
            builder.Configuration.AddInMemoryCollection(overrides);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);
        return builder;
    }

    /// <summary>Opens the database named by the configuration.</summary>
    public static LupaDatabase OpenDatabase(IConfiguration configuration)
    {
        var provider = LupaDatabase.ParseProvider(configuration["Lupa:Database:Provider"]);
        var connectionString = configuration.GetConnectionString("Lupa");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (provider == DatabaseProvider.Postgres)
                throw new InvalidOperationException("ConnectionStrings:Lupa is required when Lupa:Database:Provider is postgres.");
            connectionString = "Data Source=" + Path.Combine(Environment.CurrentDirectory, "lupa.db");
        }
        return new LupaDatabase(provider, connectionString);
    }

    /// <summary>Builds the application, migrating the database and preparing keys and the operator account.</summary>
    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder, TextWriter? console = null)
    {
        var services = builder.Services;
        services.AddOptions<LupaOptions>().Bind(builder.Configuration.GetSection(LupaOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(LupaOptions.Section).Get<LupaOptions>() ?? new LupaOptions();
        if (options.Privacy.Problem() is { } privacyProblem)
            throw new OptionsValidationException("Lupa:Privacy", typeof(PrivacyOptions), [privacyProblem]);
        if (options.AcceptableUse.Problem() is { } policyProblem)
            throw new OptionsValidationException("Lupa:AcceptableUse", typeof(Lupa.Domain.AcceptableUse.AcceptableUsePolicy), [policyProblem]);
        if (options.Webhooks.Problem() is { } webhookProblem)
            throw new OptionsValidationException("Lupa:Webhooks", typeof(WebhookOptions), [webhookProblem]);

        var db = OpenDatabase(builder.Configuration);
        db.Migrate();
        var linkKey = await LoadLinkKeyAsync(db, options);
        await LoadSuppressionKeyAsync(db, options);
        await LoadAuditKeyAsync(db, options);
        await Bootstrap.EnsureOperatorAsync(db, options, console ?? Console.Out, TimeProvider.System);

        services.AddSingleton(db);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new LinkTokens(linkKey, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PublicLinks>();
        services.AddSingleton(new Lupa.Tracking.TrackingLinks(linkKey, options.PublicUrl));
        services.AddSingleton<Lupa.Tracking.TrackingBuffer>();
        services.AddSingleton<Lupa.Tracking.TrackingWriter>();
        services.AddSingleton<Lupa.Tracking.CampaignReports>();
        services.AddHostedService(sp => sp.GetRequiredService<Lupa.Tracking.TrackingWriter>());
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<Lupa.Campaigns.CampaignSignal>();
        services.AddSingleton<Lupa.Campaigns.CampaignMailFactory>();
        services.AddSingleton<Lupa.Campaigns.CampaignService>();
        services.AddSingleton<Lupa.Bounces.BounceProcessor>();
        services.AddSingleton<Lupa.AcceptableUse.AcceptableUseService>();
        services.AddSingleton<Lupa.Reports.OrganisationReports>();
        services.AddSingleton<SubscriptionService>();
        services.AddSingleton<OrganisationService>();
        services.AddSingleton<FormRateLimiter>();
        services.AddSingleton<PublicFormCache>();
        services.AddSingleton<ApiServices>();
        services.AddSingleton<Lupa.Imports.ImportService>();
        services.AddSingleton<Lupa.Imports.ImportRunner>();
        services.AddSingleton<Lupa.Lists.ListExport>();
        services.AddSingleton<Lupa.Privacy.PrivacyRequestService>();
        services.AddSingleton<Lupa.Privacy.PrivacySummary>();
        services.AddSingleton<Lupa.Privacy.PrivacyReports>();
        services.AddSingleton<Lupa.Privacy.ErasureScrubber>();
        services.AddSingleton<Lupa.Privacy.AuditTrail>();
        services.AddSingleton<Lupa.Privacy.RetentionService>();
        services.AddSingleton<Lupa.Privacy.RecordsOfProcessing>();
        services.AddHostedService(sp => sp.GetRequiredService<Lupa.Privacy.ErasureScrubber>());
        services.AddSingleton<Lupa.Privacy.WebhookSignal>();
        services.AddSingleton<Lupa.Privacy.DataRecipientService>();
        services.AddSingleton<Lupa.Privacy.BreachNoticeSignal>();
        services.AddSingleton<Lupa.Privacy.BreachService>();
        if (options.Webhooks.Enabled)
            services.AddHostedService<Lupa.Privacy.WebhookWorker>();
        services.AddHostedService<Lupa.Privacy.BreachNoticeWorker>();
        services.AddSingleton(sp => new SystemStore(sp.GetRequiredService<LupaDatabase>()));
        // A graceful stop lets campaign and outbox sends in flight finish and be recorded.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        services.AddHostedService<MailCatcherService>();
        if (options.Outbox.Enabled)
            services.AddHostedService<OutboxWorker>();
        if (options.Imports.WorkerEnabled)
            services.AddHostedService<Lupa.Imports.ImportWorker>();
        if (options.Campaigns.WorkerEnabled)
            services.AddHostedService<Lupa.Campaigns.CampaignSender>();
        if (options.Privacy.SummaryEnabled)
            services.AddHostedService<Lupa.Privacy.PrivacySummaryWorker>();
        if (options.Retention.Enabled)
            services.AddHostedService<Lupa.Privacy.RetentionWorker>();
        if (Lupa.Bounces.BounceService.Runs(options.Bounces))
            services.AddHostedService<Lupa.Bounces.BounceService>();

        // Finnish letters stay letters in pages instead of numeric entities.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o => o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        services.AddOpenApi();
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/Admin", AdminAuth.Policy);
            o.Conventions.AllowAnonymousToPage("/Admin/Login");
            // The campaign editor's page also writes new campaigns.
            o.Conventions.AddPageRoute("/Admin/Org/CampaignEdit", "/admin/o/{org}/campaigns/new");
        });
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = "/admin/login";
                o.LogoutPath = "/admin/logout";
                o.AccessDeniedPath = "/admin/login";
                o.Cookie.Name = "lupa_admin";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
            })
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminAuth.Policy, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme).RequireAuthenticatedUser())
            .AddPolicy(ApiKeyAuthentication.Policy, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireAuthenticatedUser());
        services.AddAntiforgery(o => o.Cookie.Name = "lupa_af");
        services.AddDataProtection().SetApplicationName("lupa");
        services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o =>
            o.XmlRepository = new DatabaseKeyRepository(new DataProtectionKeyStore(db), TimeProvider.System));
        services.AddHealthChecks().AddAsyncCheck("database", async ct =>
        {
            try
            {
                await using var c = await db.OpenAsync(ct);
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT 1";
                await cmd.ExecuteScalarAsync(ct);
                return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                return Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The database does not answer.");
            }
        });

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : 500 });
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            context.Response.Headers.XFrameOptions = "DENY";
            await next();
        });
        // The open pixel and the click redirect answer before routing and authentication: they need neither.
        Lupa.Tracking.TrackingEndpoints.Map(app);
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapHealthChecks("/healthz");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/api/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapRazorPages();
        var api = app.MapGroup("/api/v1").RequireAuthorization(ApiKeyAuthentication.Policy).DisableAntiforgery();
        ListsApi.Map(api);
        SubscribersApi.Map(api);
        PrivacyNoticeApi.Map(api);
        ImportsApi.Map(api);
        CampaignsApi.Map(api);
        SendingApi.Map(api);
        PrivacyRequestsApi.Map(api);
        TrackingApi.Map(api);
        ReportsApi.Map(api);
        PrivacyRecipientsApi.Map(api);
        BreachesApi.Map(api);
        AccountabilityApi.Map(api);
        return app;
    }

    /// <summary>Sets the key of the suppression list's address hashes: configured, or generated once and kept in the database.</summary>
    public static async Task LoadSuppressionKeyAsync(LupaDatabase db, LupaOptions options) =>
        db.SuppressionKey = await LoadKeyAsync(db, options.Secrets.SuppressionKey, "Lupa:Secrets:SuppressionKey", "suppression_key", minimumBytes: 0);

    /// <summary>
    /// Sets the key of the audit trail head's MAC from <c>Lupa:Secrets:AuditKey</c> (never stored in the database), and
    /// seals a head written before the key was configured.
    /// </summary>
    public static async Task LoadAuditKeyAsync(LupaDatabase db, LupaOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Secrets.AuditKey))
            return;
        var key = Convert.FromBase64String(options.Secrets.AuditKey);
        if (key.Length < 32)
            throw new OptionsValidationException("Lupa:Secrets:AuditKey", typeof(SecretOptions), ["Lupa:Secrets:AuditKey must be at least 32 bytes (base64)."]);
        db.AuditKey = key;
        await new AuditStore(db).SealAsync();
    }

    private static Task<byte[]> LoadLinkKeyAsync(LupaDatabase db, LupaOptions options) =>
        LoadKeyAsync(db, options.Secrets.LinkKey, "Lupa:Secrets:LinkKey", "link_key", minimumBytes: 32);

    // A key from configuration (base64), else one generated at first start and kept in the database, so every node shares it.
    private static async Task<byte[]> LoadKeyAsync(LupaDatabase db, string? configured, string configKey, string setting, int minimumBytes)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var key = Convert.FromBase64String(configured);
            if (key.Length < minimumBytes)
                throw new OptionsValidationException(configKey, typeof(SecretOptions), [$"{configKey} must be at least {minimumBytes} bytes (base64)."]);
            return key;
        }
        var stored = await new SystemStore(db).GetOrAddSettingAsync(setting, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return Convert.FromBase64String(stored);
    }
}
