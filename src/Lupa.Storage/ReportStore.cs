using Dapper;
using Lupa.Domain;
using Lupa.Domain.Reports;

namespace Lupa.Storage;

/// <summary>One week of an organisation's list growth.</summary>
/// <param name="Week">The week number (<see cref="ReportWeeks"/>).</param>
/// <param name="Confirmations">Consent grants: subscriptions confirmed (double opt-in, single opt-in form, import, API, preference centre).</param>
/// <param name="Unsubscribes">Consent withdrawals, however made (link, preference centre, API, objection, complaint).</param>
/// <param name="HardBounces">Hard bounces.</param>
/// <param name="SoftBounces">Soft bounces.</param>
/// <param name="Complaints">Complaints.</param>
public sealed record GrowthWeek(long Week, long Confirmations, long Unsubscribes, long HardBounces, long SoftBounces, long Complaints)
{
    /// <summary>Subscriptions gained less those lost.</summary>
    public long Net => Confirmations - Unsubscribes;
}

/// <summary>Consent records of one method, grants and withdrawals.</summary>
public sealed record ConsentMethodCount(string Method, long Grants, long Withdrawals);

/// <summary>
/// Grants from one source by one method. A class Dapper fills by name: SQLite types an aggregate of an
/// empty result as a blob, which a constructor match would refuse.
/// </summary>
public sealed class ConsentSourceCount
{
    /// <summary>How consent was recorded (<c>double_opt_in</c>, <c>form</c>, <c>import</c>, or the evidence method given through the API).</summary>
    public string Method { get; init; } = "";

    /// <summary>For imports: how consent was given originally (<c>form</c>, <c>paper</c>, …).</summary>
    public string? EvidenceMethod { get; init; }

    /// <summary>Where: a form's page (without its query in reports), an import's evidence source, or a description; null where none was recorded.</summary>
    public string? Source { get; init; }

    /// <summary>How many grants.</summary>
    public long Grants { get; init; }
}

/// <summary>
/// One organisation's reports: list growth per week and where its consent came from. Bound to the
/// organisation like <see cref="OrganisationStore"/>: every statement filters on its id.
/// </summary>
public sealed class ReportStore(LupaDatabase db, long orgId)
{
    /// <summary>Raw sources grouped in SQL before they are tidied and grouped again: the most common ones.</summary>
    public const int RawSourceLimit = 10_000;

    /// <summary>The organisation this store is bound to.</summary>
    public long OrgId { get; } = orgId;

    /// <summary>
    /// Growth in each of <paramref name="weeks"/> (consecutive week numbers, oldest first), of every list
    /// or of one. Bounces and complaints of one list are those of people with a subscription to it.
    /// </summary>
    public async Task<IReadOnlyList<GrowthWeek>> GrowthAsync(IReadOnlyList<long> weeks, long? listId, CancellationToken ct = default)
    {
        if (weeks.Count == 0)
            return [];
        var from = ReportWeeks.Start(weeks[0]);
        var to = ReportWeeks.Start(weeks[^1] + 1);
        await using var c = await db.OpenAsync(ct);
        var consent = await c.QueryAsync<(long Week, string Kind, long Count)>(
            $"""
            SELECT {ReportWeeks.Sql("recorded_at")} AS week, kind, count(*) AS n FROM consent_records
            WHERE org_id = @OrgId AND recorded_at >= @from AND recorded_at < @to AND (@listId IS NULL OR list_id = @listId)
            GROUP BY {ReportWeeks.Sql("recorded_at")}, kind
            """,
            new { OrgId, from, to, listId });
        var bounces = await c.QueryAsync<(long Week, string Kind, long Count)>(
            $"""
            SELECT {ReportWeeks.Sql("e.received_at")} AS week, e.kind, count(*) AS n FROM bounce_events e
            WHERE e.org_id = @OrgId AND e.received_at >= @from AND e.received_at < @to
              AND (@listId IS NULL OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.org_id = @OrgId AND s.subscriber_id = e.subscriber_id AND s.list_id = @listId))
            GROUP BY {ReportWeeks.Sql("e.received_at")}, e.kind
            """,
            new { OrgId, from, to, listId });
        var counts = consent.Concat(bounces).ToLookup(r => (r.Week, r.Kind), r => r.Count);
        long Count(long week, string kind) => counts[(week, kind)].Sum();
        return weeks.Select(w => new GrowthWeek(w, Count(w, ConsentKinds.Grant), Count(w, ConsentKinds.Withdrawal),
            Count(w, Domain.Bounces.BounceKinds.Hard), Count(w, Domain.Bounces.BounceKinds.Soft), Count(w, Domain.Bounces.BounceKinds.Complaint))).ToList();
    }

    /// <summary>Consent records by method, grants and withdrawals, of every list or of one; most grants first.</summary>
    public async Task<IReadOnlyList<ConsentMethodCount>> ConsentMethodsAsync(long? listId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string Method, string Kind, long Count)>(
            "SELECT method, kind, count(*) AS n FROM consent_records WHERE org_id = @OrgId AND (@listId IS NULL OR list_id = @listId) GROUP BY method, kind",
            new { OrgId, listId });
        return rows.GroupBy(r => r.Method)
            .Select(g => new ConsentMethodCount(g.Key, g.Where(r => r.Kind == ConsentKinds.Grant).Sum(r => r.Count), g.Where(r => r.Kind == ConsentKinds.Withdrawal).Sum(r => r.Count)))
            .OrderByDescending(m => m.Grants).ThenByDescending(m => m.Withdrawals).ThenBy(m => m.Method, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Grants by method, evidence method and source as recorded, the <see cref="RawSourceLimit"/> most
    /// common, of every list or of one.
    /// </summary>
    public async Task<IReadOnlyList<ConsentSourceCount>> ConsentSourcesAsync(long? listId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ConsentSourceCount>(
            """
            SELECT method, evidence_method, source, count(*) AS grants FROM consent_records
            WHERE org_id = @OrgId AND kind = 'grant' AND (@listId IS NULL OR list_id = @listId)
            GROUP BY method, evidence_method, source ORDER BY count(*) DESC, method LIMIT @limit
            """,
            new { OrgId, listId, limit = RawSourceLimit })).AsList();
    }
}
