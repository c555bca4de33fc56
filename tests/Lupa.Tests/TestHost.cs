using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Lupa.Hosting;
using Lupa.Organisations;
using Lupa.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lupa.Tests;

/// <summary>Which database the integration tests run against: LUPA_TEST_DB=sqlite (default) or postgres.</summary>
public static class TestDatabase
{
    public static DatabaseProvider Provider =>
        Environment.GetEnvironmentVariable("LUPA_TEST_DB")?.ToLowerInvariant() is "postgres" or "postgresql" ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("LUPA_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Password=postgres";

    /// <summary>A fresh, empty database; returns its connection string and a cleanup.</summary>
    public static async Task<(string ConnectionString, Func<Task> Drop)> CreateAsync()
    {
        var name = "lupa_t_" + Guid.NewGuid().ToString("N")[..16];
        if (Provider == DatabaseProvider.Sqlite)
        {
            var dir = Path.Combine(Path.GetTempPath(), "lupa-tests", name);
            Directory.CreateDirectory(dir);
            return ("Data Source=" + Path.Combine(dir, "lupa.db"), () =>
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
                return Task.CompletedTask;
            });
        }
        await using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ToString();
        return (cs, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(PostgresAdmin);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        });
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>
/// Lupa running for real: Kestrel on 127.0.0.1, the real database (SQLite or PostgreSQL by
/// LUPA_TEST_DB), the embedded mail catcher as the relay.
/// </summary>
public sealed class LupaTestHost : IAsyncDisposable
{
    private readonly Func<Task> _drop;
    private readonly bool _ownsDatabase;

    private LupaTestHost(WebApplication app, string connectionString, Func<Task> drop, bool ownsDatabase, int httpPort, int catcherPort)
    {
        App = app;
        ConnectionString = connectionString;
        _drop = drop;
        _ownsDatabase = ownsDatabase;
        HttpPort = httpPort;
        CatcherPort = catcherPort;
        BaseUrl = $"http://127.0.0.1:{httpPort}";
    }

    public WebApplication App { get; }
    public string ConnectionString { get; }
    public int HttpPort { get; }
    public int CatcherPort { get; }
    public string BaseUrl { get; }
    public LupaDatabase Db => App.Services.GetRequiredService<LupaDatabase>();
    public SystemStore Store => App.Services.GetRequiredService<SystemStore>();

    /// <summary>Starts Lupa on a fresh database.</summary>
    public static async Task<LupaTestHost> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        return await StartOnAsync(cs, drop, ownsDatabase: true, settings, clock: clock);
    }

    /// <summary>Starts Lupa on an existing database (for restart tests).</summary>
    public static async Task<LupaTestHost> StartOnAsync(string connectionString, Func<Task> drop, bool ownsDatabase, IDictionary<string, string?>? settings = null, int? httpPort = null, int? catcherPort = null,
        TimeProvider? clock = null)
    {
        // A free port found here can be taken by another test's listener before Kestrel or the catcher binds it: with
        // ports of its own choosing, the host tries again on new ones.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnPortsAsync(connectionString, drop, ownsDatabase, settings, httpPort, catcherPort, clock);
            }
            catch (Exception e) when (attempt < 5 && httpPort is null && catcherPort is null && IsAddressInUse(e))
            {
            }
        }
    }

    private static bool IsAddressInUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException
                || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
                return true;
        }
        return false;
    }

    private static async Task<LupaTestHost> StartOnPortsAsync(string connectionString, Func<Task> drop, bool ownsDatabase, IDictionary<string, string?>? settings, int? httpPort, int? catcherPort,
        TimeProvider? clock)
    {
        var port = httpPort ?? TestDatabase.FreePort();
        var catcher = catcherPort ?? TestDatabase.FreePort();
        var config = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Lupa:Database:Provider"] = TestDatabase.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite",
            ["ConnectionStrings:Lupa"] = connectionString,
            ["Lupa:PublicUrl"] = $"http://127.0.0.1:{port}",
            ["Lupa:MailCatcher:Port"] = catcher.ToString(global::System.Globalization.CultureInfo.InvariantCulture),
            ["Lupa:Operator:Password"] = "operator-password",
            ["Lupa:Secrets:LinkKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray()),
            ["Logging:LogLevel:Default"] = "Warning",
            // The daily retention job would log a run of every organisation whenever a test starts after its hour; tests run it themselves.
            ["Lupa:Retention:Enabled"] = "false",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
                config[k] = v;
        }
        var builder = LupaHost.CreateBuilder([], config);
        // The host's clock (a FakeClock in tests of deadlines); LupaHost adds the system clock only when none is there.
        if (clock is not null)
            builder.Services.AddSingleton(clock);
        var app = await LupaHost.BuildAsync(builder, TextWriter.Null);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new LupaTestHost(app, connectionString, drop, ownsDatabase, port, catcher);
    }

    /// <summary>A client that keeps no cookies and follows no redirects, like a mailbox provider.</summary>
    public HttpClient Client()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        return new HttpClient(handler) { BaseAddress = new Uri(BaseUrl) };
    }

    /// <summary>A client authorised with an API key.</summary>
    public HttpClient Api(string key)
    {
        var c = Client();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return c;
    }

    /// <summary>Creates an organisation the way `lupa orgs create` does.</summary>
    public async Task<CreatedOrganisation> CreateOrganisationAsync(string slug, string? ownerEmail = null)
    {
        var result = await App.Services.GetRequiredService<OrganisationService>().CreateAsync(slug + " Oy", slug, ownerEmail ?? $"owner@{slug}.test");
        Assert.True(result.IsOk, result.Reason);
        return result.Value!;
    }

    /// <summary>Creates a list through the API and returns its JSON.</summary>
    public async Task<JsonElement> CreateListAsync(string key, object body)
    {
        using var api = Api(key);
        var response = await api.PostAsync("/api/v1/lists", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), global::System.Text.Encoding.UTF8, "application/json");

    /// <summary>Waits until the mail catcher holds <paramref name="count"/> messages to the address.</summary>
    public async Task<IReadOnlyList<CaughtMessageRow>> WaitForMailAsync(string rcpt, int count = 1, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var all = await Store.ListCaughtMessagesAsync(null, 1000);
            var mine = all.Where(m => string.Equals(m.RcptTo, rcpt, StringComparison.OrdinalIgnoreCase)).OrderBy(m => m.Id).ToList();
            if (mine.Count >= count || DateTime.UtcNow > deadline)
                return mine;
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync(TimeSpan.FromSeconds(10) is var t ? new CancellationTokenSource(t).Token : default);
        }
        finally
        {
            await App.DisposeAsync();
            if (_ownsDatabase)
                await _drop();
        }
    }
}
