using System.Globalization;
using System.Text;
using Lupa.Domain;
using Lupa.Domain.Reports;
using Lupa.Storage;

namespace Lupa.Reports;

/// <summary>An organisation's growth over consecutive weeks, oldest first.</summary>
/// <param name="ListId">The list it is of, or null for every list.</param>
/// <param name="Weeks">One entry a week, zeros included.</param>
public sealed record OrganisationGrowth(long? ListId, IReadOnlyList<GrowthWeek> Weeks);

/// <summary>Where an organisation's consent came from.</summary>
/// <param name="ListId">The list it is of, or null for every list.</param>
/// <param name="Methods">Consent records by method: grants and withdrawals.</param>
/// <param name="Sources">Grants by source (a form's page without its query, an import's evidence source), most first.</param>
public sealed record ConsentSources(long? ListId, IReadOnlyList<ConsentMethodCount> Methods, IReadOnlyList<ConsentSourceCount> Sources);

/// <summary>
/// The reports of one organisation that the admin UI draws, the API answers with and both hand out as
/// CSV: list growth per week (Monday to Sunday, UTC) and consent sources.
/// </summary>
public sealed class OrganisationReports(LupaDatabase db, TimeProvider clock)
{
    /// <summary>Weeks shown when none are asked for.</summary>
    public const int DefaultWeeks = 12;

    /// <summary>Most weeks one report covers (five years).</summary>
    public const int MaxWeeks = 260;

    /// <summary>Sources listed at the most; the rest are added up in the methods.</summary>
    public const int MaxSources = 50;

    /// <summary>The last <paramref name="weeks"/> weeks, this one included.</summary>
    public async Task<OrganisationGrowth> GrowthAsync(long orgId, int weeks, long? listId, CancellationToken ct)
    {
        var numbers = ReportWeeks.Ending(clock.GetUtcNow().ToUnixTimeMilliseconds(), Math.Clamp(weeks, 1, MaxWeeks));
        return new OrganisationGrowth(listId, await new ReportStore(db, orgId).GrowthAsync(numbers, listId, ct));
    }

    /// <summary>Consent records by method, and grants by tidied source.</summary>
    public async Task<ConsentSources> ConsentSourcesAsync(long orgId, long? listId, CancellationToken ct)
    {
        var store = new ReportStore(db, orgId);
        var sources = (await store.ConsentSourcesAsync(listId, ct))
            .GroupBy(s => (s.Method, s.EvidenceMethod, Source: TidySource(s.Source)))
            .Select(g => new ConsentSourceCount { Method = g.Key.Method, EvidenceMethod = g.Key.EvidenceMethod, Source = g.Key.Source, Grants = g.Sum(s => s.Grants) })
            .OrderByDescending(s => s.Grants).ThenBy(s => s.Method, StringComparer.Ordinal).ThenBy(s => s.Source, StringComparer.Ordinal)
            .Take(MaxSources).ToList();
        return new ConsentSources(listId, await store.ConsentMethodsAsync(listId, ct), sources);
    }

    /// <summary>
    /// A source as a report groups it: a web address without its query and fragment (campaign tags and
    /// tokens would make every visitor a source of their own), anything else trimmed; null when empty.
    /// </summary>
    public static string? TidySource(string? source)
    {
        if (string.IsNullOrWhiteSpace(source))
            return null;
        source = source.Trim();
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri.GetLeftPart(UriPartial.Path);
        return source.Length <= 200 ? source : source[..200];
    }

    /// <summary>The growth as CSV: one line a week.</summary>
    public static string GrowthCsv(OrganisationGrowth growth)
    {
        var csv = new StringBuilder("week_start,confirmations,unsubscribes,hard_bounces,soft_bounces,complaints,net\n");
        foreach (var w in growth.Weeks)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{ReportWeeks.StartDate(w.Week):yyyy-MM-dd},{w.Confirmations},{w.Unsubscribes},{w.HardBounces},{w.SoftBounces},{w.Complaints},{w.Net}\n");
        }
        return csv.ToString();
    }

    /// <summary>The consent sources as CSV: the methods (source empty), then the sources.</summary>
    public static string ConsentSourcesCsv(ConsentSources report)
    {
        var csv = new StringBuilder("section,method,evidence_method,source,grants,withdrawals\n");
        foreach (var m in report.Methods)
            csv.Append(CultureInfo.InvariantCulture, $"method,{CsvText.Field(m.Method)},,,{m.Grants},{m.Withdrawals}\n");
        foreach (var s in report.Sources)
            csv.Append(CultureInfo.InvariantCulture, $"source,{CsvText.Field(s.Method)},{CsvText.Field(s.EvidenceMethod ?? "")},{CsvText.Field(s.Source ?? "")},{s.Grants},\n");
        return csv.ToString();
    }
}
