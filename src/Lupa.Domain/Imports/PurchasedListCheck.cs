using System.Reflection;

namespace Lupa.Domain.Imports;

/// <summary>Shares above which an import is held for the operator's review. Set by the operator.</summary>
public sealed class RiskThresholds
{
    /// <summary>Role addresses (info@, sales@, …) among valid rows.</summary>
    public double RoleAddressShare { get; set; } = 0.10;

    /// <summary>Disposable-mail domains among valid rows.</summary>
    public double DisposableShare { get; set; } = 0.02;

    /// <summary>Rows without evidence (nor customer basis) among valid rows.</summary>
    public double NoEvidenceShare { get; set; } = 0.50;

    /// <summary>Evidence rows whose consent time falls in the single busiest minute.</summary>
    public double ClusteredConsentShare { get; set; } = 0.30;

    /// <summary>Evidence rows with a source URL outside the organisation's own domains.</summary>
    public double ForeignSourceShare { get; set; } = 0.25;

    /// <summary>Files with fewer valid rows than this are not judged by shares.</summary>
    public int MinimumRows { get; set; } = 20;
}

/// <summary>One figure of the purchased-list check.</summary>
public sealed record RiskFigure(string Name, long Count, long Of, double Share, double Threshold, bool Exceeded);

/// <summary>The purchased-list check over a whole file, fed row by row before anything is activated.</summary>
public sealed class PurchasedListCheck(IReadOnlyCollection<string> ownDomains)
{
    private static readonly HashSet<string> RoleLocalParts = new(StringComparer.OrdinalIgnoreCase)
    {
        "info", "sales", "admin", "administrator", "support", "contact", "office", "marketing", "webmaster", "postmaster", "hostmaster",
        "abuse", "noreply", "no-reply", "billing", "hr", "jobs", "careers", "team", "hello", "help", "enquiries", "inquiries", "service",
        "mail", "orders", "accounts", "finance", "press", "media", "security", "newsletter", "root", "reception", "asiakaspalvelu",
        "myynti", "toimisto", "posti", "tilaukset", "laskutus", "rekry", "kirjaamo",
    };

    private static readonly Lazy<HashSet<string>> Disposable = new(LoadDisposable);

    private readonly Dictionary<long, int> _minutes = [];
    private long _valid, _role, _disposable, _noEvidence, _evidence, _withSource, _foreign;

    /// <summary>True for an address whose local part names a function, not a person.</summary>
    public static bool IsRoleAddress(EmailAddress a) => RoleLocalParts.Contains(a.LocalPart);

    /// <summary>True for a domain on the disposable-mail list shipped with Lupa.</summary>
    public static bool IsDisposable(string domain) => Disposable.Value.Contains(domain);

    /// <summary>Counts one valid row.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Add(ImportRow row)
    {
        _valid++;
        if (IsRoleAddress(row.Address))
            _role++;
        if (IsDisposable(row.Address.Domain))
            _disposable++;
        if (row.Basis == ImportBasis.None)
            _noEvidence++;
        if (row.Basis != ImportBasis.Evidence || row.ConsentAt is null)
            return;
        _evidence++;
        var minute = row.ConsentAt.Value.ToUnixTimeSeconds() / 60;
        _minutes[minute] = _minutes.GetValueOrDefault(minute) + 1;
        if (row.Source is not null && Uri.TryCreate(row.Source, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https"))
        {
            _withSource++;
            if (ownDomains.Count > 0 && !ownDomains.Any(d => uri.Host.Equals(d, StringComparison.OrdinalIgnoreCase) || uri.Host.EndsWith("." + d, StringComparison.OrdinalIgnoreCase)))
                _foreign++;
        }
    }

    /// <summary>The figures against the thresholds; the import is held when any is exceeded.</summary>
    public IReadOnlyList<RiskFigure> Evaluate(RiskThresholds t)
    {
        var judged = _valid >= t.MinimumRows;
        var busiest = _minutes.Count == 0 ? 0 : _minutes.Values.Max();
        return
        [
            Figure("role_addresses", _role, _valid, t.RoleAddressShare, judged),
            Figure("disposable_domains", _disposable, _valid, t.DisposableShare, judged),
            Figure("without_evidence", _noEvidence, _valid, t.NoEvidenceShare, judged),
            Figure("clustered_consent_times", busiest, _evidence, t.ClusteredConsentShare, judged && _evidence >= t.MinimumRows),
            Figure("sources_outside_own_domains", _foreign, _withSource, t.ForeignSourceShare, judged && ownDomains.Count > 0 && _withSource > 0),
        ];
    }

    private static RiskFigure Figure(string name, long count, long of, double threshold, bool judged)
    {
        var share = of == 0 ? 0 : (double)count / of;
        return new RiskFigure(name, count, of, Math.Round(share, 4), threshold, judged && share > threshold);
    }

    private static HashSet<string> LoadDisposable()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Lupa.Domain.Imports.disposable-domains.txt")!;
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
                set.Add(line);
        }
        return set;
    }
}
