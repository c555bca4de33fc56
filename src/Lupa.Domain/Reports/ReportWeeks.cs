namespace Lupa.Domain.Reports;

/// <summary>
/// Weeks of the reports: Monday 00:00 UTC to the next Monday. A week is numbered by how many whole weeks
/// lie between the first Monday of Unix time (5 January 1970) and its start, which SQL computes on both
/// engines with integer arithmetic on the stored milliseconds.
/// </summary>
public static class ReportWeeks
{
    /// <summary>Milliseconds in a week.</summary>
    public const long Length = 7 * 86_400_000L;

    /// <summary>The start of week 0: Monday 5 January 1970, 00:00 UTC, in Unix milliseconds.</summary>
    public const long Origin = 4 * 86_400_000L;

    /// <summary>The SQL expression of the week number of a column of Unix milliseconds.</summary>
    public static string Sql(string column) => $"(({column} - {Origin}) / {Length})";

    /// <summary>The week number of a time (Unix ms).</summary>
    public static long Number(long ms) => (ms - Origin) / Length;

    /// <summary>The start (Unix ms) of a week.</summary>
    public static long Start(long week) => Origin + week * Length;

    /// <summary>The start of a week as a date.</summary>
    public static DateOnly StartDate(long week) => DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(Start(week)).UtcDateTime);

    /// <summary>The <paramref name="count"/> weeks that end with the one holding <paramref name="now"/>, oldest first.</summary>
    public static IReadOnlyList<long> Ending(long now, int count)
    {
        var last = Number(now);
        return Enumerable.Range(0, count).Select(i => last - count + 1 + i).ToList();
    }
}
