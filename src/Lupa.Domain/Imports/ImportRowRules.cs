using System.Globalization;
using System.Net;

namespace Lupa.Domain.Imports;

/// <summary>On what ground an import row may become a subscription.</summary>
public enum ImportBasis
{
    /// <summary>Evidence of consent: when and how.</summary>
    Evidence,

    /// <summary>An existing customer (soft opt-in).</summary>
    Customer,

    /// <summary>Nothing: the organisation's no-evidence policy decides.</summary>
    None,
}

/// <summary>A row read and checked, ready to be applied.</summary>
public sealed record ImportRow(
    long Line,
    EmailAddress Address,
    string Name,
    IReadOnlyDictionary<string, string> Attributes,
    ImportBasis Basis,
    DateTimeOffset? ConsentAt,
    string? Method,
    string? Source,
    string? Ip,
    string? Text,
    DateTimeOffset? CustomerSince);

/// <summary>A row that ends before it is applied, with its outcome and reason.</summary>
public sealed record ImportRowRefusal(string Outcome, string Reason);

/// <summary>Reads one mapped CSV row into an <see cref="ImportRow"/>, or says why it is skipped.</summary>
public static class ImportRowRules
{
    /// <summary>Longest value kept in any field.</summary>
    public const int MaxFieldLength = 4000;

    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
        "d.M.yyyy H:mm:ss", "d.M.yyyy H:mm", "d.M.yyyy",
    ];

    /// <summary>Parses a date or time in the forms exports commonly use; times without a zone are UTC.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseTime(string value, out DateTimeOffset time)
    {
        value = value.Trim();
        // The common case first: ISO 8601 with a zone, which the round-trip parser reads fastest.
        if (value.Length >= 20 && value[10] == 'T' && (value[^1] == 'Z' || value[^6] is '+' or '-')
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time))
        {
            time = time.ToUniversalTime();
            return true;
        }
        return DateTimeOffset.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    /// <summary>Reads a row whose columns were mapped by <see cref="ImportColumns.Map"/>.</summary>
    // Jitted optimised at once: an import runs it a million times in its first seconds, when tiered compilation still runs unoptimised code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (ImportRow? Row, ImportRowRefusal? Refusal) Read(long line, IReadOnlyList<string> values, string?[] map, DateTimeOffset now)
    {
        if (values.Count != map.Length)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"has {values.Count} fields where the header has {map.Length}"));
        string? email = null, name = null, consentAt = null, method = null, source = null, ip = null, text = null, basis = null, customerSince = null;
        Dictionary<string, string>? attributes = null;
        for (var i = 0; i < map.Length; i++)
        {
            var target = map[i];
            if (target is null)
                continue;
            var v = values[i];
            if (v.Length > MaxFieldLength)
                return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"a value is longer than {MaxFieldLength} characters"));
            if (v.Contains('\0', StringComparison.Ordinal))
                return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "contains binary data"));
            v = v.Trim();
            switch (target)
            {
                case ImportColumns.Email: email = v; break;
                case ImportColumns.Name: name = v; break;
                case ImportColumns.ConsentAt: consentAt = v; break;
                case ImportColumns.ConsentMethod: method = v.ToLowerInvariant(); break;
                case ImportColumns.ConsentSource: source = v; break;
                case ImportColumns.ConsentIp: ip = v; break;
                case ImportColumns.ConsentText: text = v; break;
                case ImportColumns.LegalBasis: basis = v.ToLowerInvariant(); break;
                case ImportColumns.CustomerSince: customerSince = v; break;
                default:
                    if (v.Length > 0)
                        (attributes ??= [])[target["attribute:".Length..]] = v;
                    break;
            }
        }

        var address = EmailAddress.Parse(email);
        if (!address.IsOk)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedInvalidAddress, address.Reason!));
        name ??= "";
        if (TextRules.NameProblem(name) is { } np)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "name " + np));
        if (!string.IsNullOrEmpty(ip) && !IPAddress.TryParse(ip, out _))
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "consent_ip is not an IP address"));
        if (source is not null && TextRules.SingleLineProblem(source, ConsentEvidence.MaxSourceLength) is { } sp)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "consent_source " + sp));
        var attrs = (IReadOnlyDictionary<string, string>?)attributes ?? new Dictionary<string, string>();

        if (!string.IsNullOrEmpty(basis) && basis != LegalBases.Consent && basis != LegalBases.Customer)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"legal_basis '{Clip(basis)}' is neither consent nor customer"));
        if (basis == LegalBases.Customer)
        {
            if (string.IsNullOrEmpty(customerSince))
                return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "legal_basis customer needs customer_since"));
            if (!TryParseTime(customerSince, out var since))
                return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"customer_since '{Clip(customerSince)}' is not a date"));
            if (since > now.AddMinutes(5))
                return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "customer_since is in the future"));
            return (new ImportRow(line, address.Value!, name, attrs, ImportBasis.Customer, null, null, source, NullIfEmpty(ip), NullIfEmpty(text), since), null);
        }

        if (string.IsNullOrEmpty(consentAt) && string.IsNullOrEmpty(method))
            return (new ImportRow(line, address.Value!, name, attrs, ImportBasis.None, null, null, null, null, null, null), null);
        if (string.IsNullOrEmpty(consentAt))
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "consent_method without consent_at"));
        if (!TryParseTime(consentAt, out var at))
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"consent_at '{Clip(consentAt)}' is not a date and time"));
        if (string.IsNullOrEmpty(method))
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, "consent_at without consent_method"));
        if (ConsentEvidence.Problem(at, method, string.IsNullOrEmpty(source) ? "(import)" : source, null, now) is { } p)
            return (null, new ImportRowRefusal(ImportOutcomes.SkippedMalformed, $"consent_{(p.Field == "timestamp" ? "at" : p.Field)} {p.Reason}"));
        return (new ImportRow(line, address.Value!, name, attrs, ImportBasis.Evidence, at, method, NullIfEmpty(source), NullIfEmpty(ip), NullIfEmpty(text), null), null);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
