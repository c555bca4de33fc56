using System.Data.Common;
using Dapper;
using DbUp;
using DbUp.Builder;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Lupa.Storage;

/// <summary>Which database engine holds Lupa's data.</summary>
public enum DatabaseProvider
{
    /// <summary>One SQLite file in WAL mode: the default, for one node.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production, and more than one node.</summary>
    Postgres,
}

/// <summary>
/// The connection to Lupa's database: opens connections, runs the migrations, and serialises
/// writers on SQLite so they queue in order instead of spinning on the file lock.
/// </summary>
public sealed class LupaDatabase : IDisposable
{
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);
    // Native connections that have had their settings, keyed by the wrapper object (held weakly): a new
    // native connection is a new object even if the old one's memory is reused.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = new();
    private readonly NpgsqlDataSource? _postgres;

    static LupaDatabase()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Connects to the database named by provider and connection string.</summary>
    public LupaDatabase(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        if (provider == DatabaseProvider.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(connectionString)
            {
                Pooling = true,
                DefaultTimeout = 30,
                ForeignKeys = true,
            };
            ConnectionString = builder.ToString();
            var dir = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(dir))
                Directory.CreateDirectory(dir);
        }
        else
        {
            // Statements that run again and again are prepared on each connection after their second use (unless
            // the connection string says otherwise): PostgreSQL then skips parsing and planning them.
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxAutoPrepare = 64;
                builder.AutoPrepareMinUsages = 2;
            }
            ConnectionString = builder.ConnectionString;
            _postgres = NpgsqlDataSource.Create(ConnectionString);
        }
    }

    /// <summary>The key of the suppression list's address hashes; set at start.</summary>
    public byte[] SuppressionKey { get; set; } = [];

    /// <summary>The key of the audit trail head's MAC (<c>Lupa:Secrets:AuditKey</c>), or null when none is configured.</summary>
    public byte[]? AuditKey { get; set; }

    private AuditQueue? _audit;

    /// <summary>The batching writer of audit entries, started on first use.</summary>
    internal AuditQueue AuditQueue
    {
        get
        {
            if (_audit is { } a)
                return a;
            Interlocked.CompareExchange(ref _audit, new AuditQueue(this), null);
            return _audit;
        }
    }

    /// <summary>The engine.</summary>
    public DatabaseProvider Provider { get; }

    /// <summary>The connection string in use.</summary>
    public string ConnectionString { get; }

    /// <summary>True on PostgreSQL, where row locks with SKIP LOCKED let several nodes share work.</summary>
    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>
    /// The right-hand side of "column IN a set of ids" passed as one parameter: an array on PostgreSQL,
    /// a JSON array read by json_each on SQLite. Pair it with <see cref="IdsValue"/>.
    /// </summary>
    public string InIds(string parameter) => IsPostgres ? $"= ANY(@{parameter})" : $"IN (SELECT value FROM json_each(@{parameter}))";

    /// <summary>The parameter value for <see cref="InIds"/>.</summary>
    public object IdsValue(IEnumerable<long> ids) => IsPostgres ? ids.ToArray() : System.Text.Json.JsonSerializer.Serialize(ids);

    /// <summary>Parses the configuration value of <c>Lupa:Database:Provider</c>.</summary>
    public static DatabaseProvider ParseProvider(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
        _ => throw new ArgumentException($"Lupa:Database:Provider must be 'sqlite' or 'postgres', not '{value}'."),
    };

    /// <summary>Opens a connection for reading (and for single-statement writes on PostgreSQL).</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_postgres is not null)
            return await _postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        // Per-connection settings (journal_mode=WAL is persistent and set by Migrate). A pooled
        // connection keeps its native handle, so they are set once per handle, not on every open.
        // secure_delete among them must never be missed, so a handle is known by its object, not by
        // its address, which a new handle may reuse.
        var handle = connection.Handle!;
        if (!_prepared.TryGetValue(handle, out _))
        {
            // secure_delete zeroes what a DELETE or UPDATE frees, so an erased person's bytes do not stay in free
            // space (SubscriberErasure). It applies to every writer, since any of them may free a page.
            // A small page cache per pooled connection: there may be dozens of them, each filling its cache up to the
            // limit as the database grows, and the operating system caches the file anyway. The writers' connection
            // gets a larger one (BeginWriteAsync).
            await connection.ExecuteAsync("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-2048; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;");
            _prepared.AddOrUpdate(handle, handle);
        }
        return connection;
    }

    /// <summary>
    /// Opens a connection and begins a write transaction. On SQLite writers wait in this process's
    /// queue and the transaction is BEGIN IMMEDIATE, so two writers never deadlock on upgrade.
    /// </summary>
    public async Task<WriteTransaction> BeginWriteAsync(CancellationToken ct = default)
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            var connection = await OpenAsync(ct);
            try
            {
                return new WriteTransaction(connection, await connection.BeginTransactionAsync(ct), null, null);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        await _sqliteWriter.WaitAsync(ct);
        try
        {
            // Writers take turns, so one connection serves them all and keeps its prepared statements.
            if (_writer is null)
            {
                var connection = (SqliteConnection)await OpenAsync(ct);
                await connection.ExecuteAsync("PRAGMA cache_size=-16384;");
                _writer = new SqliteStatements(connection);
            }
            try
            {
                return new WriteTransaction(_writer.Connection, _writer.Connection.BeginTransaction(deferred: false), _sqliteWriter, _writer);
            }
            catch
            {
                // A connection that cannot begin is not trusted again.
                _writer.Dispose();
                _writer = null;
                throw;
            }
        }
        catch
        {
            _sqliteWriter.Release();
            throw;
        }
    }

    // The SQLite writers' connection with its statement cache; used only while holding _sqliteWriter.
    private SqliteStatements? _writer;

    private System.Threading.Channels.Channel<GroupedWrite>? _group;
    private readonly object _groupStart = new();

    private sealed record GroupedWrite(Func<WriteTransaction, Task<object?>> Work, TaskCompletionSource<object?> Done);

    /// <summary>
    /// Runs a short piece of write work and commits it. On SQLite, pieces that arrive together share one
    /// transaction (group commit), each inside its own SAVEPOINT so a failing piece rolls back alone:
    /// the single writer then pays BEGIN, COMMIT and the shared pages once per group instead of once per
    /// request. The work must not commit; on PostgreSQL it gets a transaction of its own.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<WriteTransaction, Task<T>> work, CancellationToken ct = default)
    {
        if (Provider != DatabaseProvider.Sqlite)
        {
            await using var tx = await BeginWriteAsync(ct);
            var result = await work(tx);
            await tx.CommitAsync(ct);
            return result;
        }
        EnsureGroupWriter();
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _group!.Writer.WriteAsync(new GroupedWrite(async tx => await work(tx), done), ct);
        return (T)(await done.Task)!;
    }

    private void EnsureGroupWriter()
    {
        if (_group is not null)
            return;
        lock (_groupStart)
        {
            if (_group is not null)
                return;
            var channel = System.Threading.Channels.Channel.CreateUnbounded<GroupedWrite>(new() { SingleReader = true });
            _ = Task.Run(() => RunGroupsAsync(channel));
            _group = channel;
        }
    }

    private async Task RunGroupsAsync(System.Threading.Channels.Channel<GroupedWrite> channel)
    {
        var batch = new List<GroupedWrite>(64);
        var results = new List<(object? Value, Exception? Error)>(64);
        while (await channel.Reader.WaitToReadAsync())
        {
            while (batch.Count < 64 && channel.Reader.TryRead(out var item))
                batch.Add(item);
            try
            {
                await using var tx = await BeginWriteAsync();
                foreach (var item in batch)
                {
                    await tx.ExecuteAsync("SAVEPOINT grouped");
                    try
                    {
                        results.Add((await item.Work(tx), null));
                        await tx.ExecuteAsync("RELEASE grouped");
                    }
                    catch (Exception e)
                    {
                        await tx.Connection.ExecuteAsync("ROLLBACK TO grouped; RELEASE grouped", transaction: tx.Transaction);
                        results.Add((null, e));
                    }
                }
                await tx.CommitAsync();
                for (var i = 0; i < batch.Count; i++)
                {
                    if (results[i].Error is { } error)
                        batch[i].Done.TrySetException(error);
                    else
                        batch[i].Done.TrySetResult(results[i].Value);
                }
            }
            catch (Exception e)
            {
                foreach (var item in batch)
                    item.Done.TrySetException(e);
            }
            batch.Clear();
            results.Clear();
        }
    }

    /// <summary>Applies every migration not yet applied. Returns the names of those it ran.</summary>
    public IReadOnlyList<string> Migrate()
    {
        var dialect = Provider == DatabaseProvider.Sqlite ? "sqlite" : "postgres";
        var prefix = $"Lupa.Storage.Migrations.{dialect}.";
        UpgradeEngineBuilder builder;
        if (Provider == DatabaseProvider.Sqlite)
        {
            using (var connection = new SqliteConnection(ConnectionString))
            {
                connection.Open();
                connection.Execute("PRAGMA journal_mode=WAL;");
            }
            builder = DeployChanges.To.SqliteDatabase(ConnectionString);
        }
        else
        {
            builder = DeployChanges.To.PostgresqlDatabase(ConnectionString);
        }
        var engine = builder
            .WithScriptsEmbeddedInAssembly(typeof(LupaDatabase).Assembly, name => name.StartsWith(prefix, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build();
        var result = engine.PerformUpgrade();
        if (!result.Successful)
            throw new InvalidOperationException($"Migration {result.ErrorScript?.Name} failed: {result.Error.Message}", result.Error);
        return result.Scripts.Select(s => s.Name[prefix.Length..]).ToList();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _group?.Writer.TryComplete();
        _audit?.Complete();
        _postgres?.Dispose();
        if (_sqliteWriter.Wait(TimeSpan.FromSeconds(5)))
        {
            _writer?.Dispose();
            _writer = null;
        }
        _sqliteWriter.Dispose();
    }
}

/// <summary>A connection with an open write transaction; commit it or it rolls back on dispose.</summary>
/// <remarks>
/// Its <c>ExecuteAsync</c>, <c>ExecuteScalarAsync</c> and <c>QuerySingle…Async</c> run on the transaction like Dapper's (an
/// anonymous object's properties are the <c>@</c> parameters). On SQLite they reuse the statement compiled the first time
/// the same text ran: compiling SQL was about a seventh of the server's CPU under the form benchmark. Hot paths use them;
/// the rest may use Dapper on <see cref="Connection"/> with <see cref="Transaction"/>.
/// </remarks>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly SemaphoreSlim? _gate;
    private readonly SqliteStatements? _statements;
    private bool _released;

    internal WriteTransaction(DbConnection connection, DbTransaction transaction, SemaphoreSlim? gate, SqliteStatements? statements)
    {
        Connection = connection;
        Transaction = transaction;
        _gate = gate;
        _statements = statements;
    }

    /// <summary>The connection.</summary>
    public DbConnection Connection { get; }

    /// <summary>The transaction to pass to every command.</summary>
    public DbTransaction Transaction { get; }

    /// <summary>Commits.</summary>
    public Task CommitAsync(CancellationToken ct = default) => Transaction.CommitAsync(ct);

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, object? param = null) =>
        _statements is null ? Connection.ExecuteAsync(sql, param, Transaction) : _statements.ExecuteAsync(sql, Transaction, param);

    /// <summary>Runs a statement; returns the first column of its first row, or the default when there is none.</summary>
    public Task<T?> ExecuteScalarAsync<T>(string sql, object? param = null) =>
        _statements is null ? Connection.ExecuteScalarAsync<T>(sql, param, Transaction) : _statements.ExecuteScalarAsync<T>(sql, Transaction, param);

    /// <summary>Runs a query that returns exactly one row.</summary>
    public async Task<T> QuerySingleAsync<T>(string sql, object? param = null) =>
        _statements is null
            ? await Connection.QuerySingleAsync<T>(sql, param, Transaction)
            : await _statements.SingleAsync<T>(sql, Transaction, param, required: true) ?? throw new InvalidOperationException("The query returned no row.");

    /// <summary>Runs a query that returns one row or none.</summary>
    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? param = null) =>
        _statements is null
            ? await Connection.QuerySingleOrDefaultAsync<T>(sql, param, Transaction)
            : await _statements.SingleAsync<T>(sql, Transaction, param, required: false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        // The SQLite writers' connection stays open for the next writer; any other is closed.
        if (_statements is null)
            await Connection.DisposeAsync();
        if (!_released && _gate is not null)
        {
            _released = true;
            _gate.Release();
        }
    }
}
