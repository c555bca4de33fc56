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
}
