using System.Collections.Concurrent;
using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Lupa.Storage;

/// <summary>
/// A long-lived SQLite connection and the statements compiled on it, by SQL text. Microsoft.Data.Sqlite compiles a
/// command's SQL anew for every command object; a command kept here is compiled once and only rebound after. The
/// connection serves one caller at a time (the writers take turns).
/// </summary>
internal sealed class SqliteStatements(SqliteConnection connection) : IDisposable
{
    // Statements built from varying text (lists of ids, segments) are not worth keeping; past this many, new texts run uncached.
    private const int MaxCached = 256;

    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> Binders = new();
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    /// <summary>A command that is disposed after use unless it is kept.</summary>
    public readonly struct Lease(SqliteCommand command, bool owned) : IDisposable
    {
        public SqliteCommand Command { get; } = command;

        public void Dispose()
        {
            if (owned)
                Command.Dispose();
        }
    }

    /// <summary>The command for <paramref name="sql"/> on the given transaction, with <paramref name="param"/>'s properties bound.</summary>
    public Lease Command(string sql, DbTransaction transaction, object? param)
    {
        var owned = false;
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            if (_commands.Count < MaxCached)
                _commands[sql] = command;
            else
                owned = true;
        }
        command.Transaction = (SqliteTransaction)transaction;
        command.Parameters.Clear();
        if (param is not null)
        {
            foreach (var (name, get) in Binders.GetOrAdd(param.GetType(), Binder))
                command.Parameters.AddWithValue(name, get(param) ?? DBNull.Value);
        }
        return new Lease(command, owned);
    }

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, DbTransaction transaction, object? param)
    {
        using var lease = Command(sql, transaction, param);
        return await lease.Command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a statement; returns the first column of its first row.</summary>
    public async Task<T?> ExecuteScalarAsync<T>(string sql, DbTransaction transaction, object? param)
    {
        using var lease = Command(sql, transaction, param);
        return Convert<T>(await lease.Command.ExecuteScalarAsync());
    }

    /// <summary>The one row of a query mapped as Dapper maps it, or the default when there is none.</summary>
    public async Task<T?> SingleAsync<T>(string sql, DbTransaction transaction, object? param, bool required)
    {
        using var lease = Command(sql, transaction, param);
        await using var reader = await lease.Command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return required ? throw new InvalidOperationException("The query returned no row.") : default;
        var row = IsScalar(typeof(T)) ? Convert<T>(reader.GetValue(0)) : reader.GetRowParser<T>()(reader);
        if (await reader.ReadAsync())
            throw new InvalidOperationException("The query returned more than one row.");
        return row;
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(byte[]);
    }

    // A scalar as Dapper's ExecuteScalar gives it.
    private static T? Convert<T>(object? value)
    {
        if (value is null or DBNull)
            return default;
        if (value is T typed)
            return typed;
        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (target.IsEnum)
            return (T)Enum.ToObject(target, value);
        return (T)System.Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
    }

    // An anonymous object's (or record's) readable properties, as Dapper binds them; enums as their numbers.
    private static (string, Func<object, object?>)[] Binder(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => (p.Name, (Func<object, object?>)(o =>
            {
                var v = p.GetValue(o);
                return v is Enum e ? System.Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture) : v;
            })))
            .ToArray();

    public void Dispose()
    {
        foreach (var command in _commands.Values)
            command.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }
}
