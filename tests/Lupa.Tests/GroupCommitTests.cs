using Dapper;
using Lupa.Storage;

namespace Lupa.Tests;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Writes_that_arrive_together_commit_together_and_a_failing_one_rolls_back_alone()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            using var db = new LupaDatabase(TestDatabase.Provider, cs);
            db.Migrate();
            var tasks = Enumerable.Range(0, 50).Select(i => db.WriteAsync(async tx =>
            {
                await tx.Connection.ExecuteAsync("INSERT INTO settings (name, value) VALUES (@name, 'x')", new { name = $"k{i}" }, tx.Transaction);
                if (i % 10 == 3)
                    throw new InvalidOperationException("this write fails after its insert");
                return i;
            })).ToList();
            foreach (var (task, i) in tasks.Select((t, i) => (t, i)))
            {
                if (i % 10 == 3)
                    await Assert.ThrowsAsync<InvalidOperationException>(() => task);
                else
                    Assert.Equal(i, await task);
            }
            await using var c = await db.OpenAsync();
            var names = (await c.QueryAsync<string>("SELECT name FROM settings WHERE name LIKE 'k%'")).ToHashSet();
            Assert.Equal(45, names.Count);
            Assert.DoesNotContain("k3", names);
            Assert.Contains("k4", names);
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task A_write_transactions_statements_bind_map_and_recover_from_failures_and_rollbacks()
    {
        var (cs, drop) = await TestDatabase.CreateAsync();
        try
        {
            using var db = new LupaDatabase(TestDatabase.Provider, cs);
            db.Migrate();
            const string Insert = "INSERT INTO settings (name, value) VALUES (@name, @value)";
            // The same text many times (compiled once on SQLite), and more distinct texts than are kept.
            for (var i = 0; i < 300; i++)
            {
                await db.WriteAsync(async tx =>
                {
                    await tx.ExecuteAsync(Insert, new { name = $"s{i}", value = $"v{i}" });
                    return await tx.ExecuteScalarAsync<long>($"SELECT {i} + COUNT(*) FROM settings WHERE name = @name", new { name = $"s{i}" });
                });
            }
            // A duplicate key fails its own write only; the writer goes on.
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => db.WriteAsync(tx => tx.ExecuteAsync(Insert, new { name = "s1", value = "again" })));
            // A transaction disposed without commit leaves nothing behind.
            await using (var tx = await db.BeginWriteAsync())
                await tx.ExecuteAsync(Insert, new { name = "rolled-back", value = "x" });
            await using (var tx = await db.BeginWriteAsync())
            {
                Assert.Equal(2, await tx.ExecuteAsync("UPDATE settings SET value = @value WHERE name IN ('s1', 's2')", new { value = "v" }));
                Assert.Null(await tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE name = @name", new { name = "rolled-back" }));
                Assert.Null(await tx.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE name = @name", new { name = "missing" }));
                Assert.Equal("v3", await tx.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE name = @name", new { name = "s3" }));
                Assert.Equal("v", await tx.QuerySingleAsync<string>("SELECT value FROM settings WHERE name = @name", new { name = "s1" }));
                await Assert.ThrowsAsync<InvalidOperationException>(() => tx.QuerySingleAsync<string>("SELECT value FROM settings WHERE name = 'none'"));
                await Assert.ThrowsAsync<InvalidOperationException>(() => tx.QuerySingleOrDefaultAsync<string>("SELECT value FROM settings WHERE name IN ('s1', 's2')"));
                await tx.CommitAsync();
            }
            await using var c = await db.OpenAsync();
            Assert.Equal(300, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings WHERE name LIKE 's%'"));
            Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM settings WHERE name = 'rolled-back'"));
        }
        finally
        {
            await drop();
        }
    }
}
