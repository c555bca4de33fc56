namespace Lupa.Domain.Imports;

/// <summary>The fields an import row can carry, and how CSV headers map onto them.</summary>
public static class ImportColumns
{
    public const string Email = "email";
    public const string Name = "name";
    public const string ConsentAt = "consent_at";
    public const string ConsentMethod = "consent_method";
    public const string ConsentSource = "consent_source";
    public const string ConsentIp = "consent_ip";
    public const string ConsentText = "consent_text";
    public const string LegalBasis = "legal_basis";
    public const string CustomerSince = "customer_since";

    /// <summary>Every known field; any other column becomes an attribute.</summary>
    public static readonly IReadOnlyList<string> Known = [Email, Name, ConsentAt, ConsentMethod, ConsentSource, ConsentIp, ConsentText, LegalBasis, CustomerSince];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["e-mail"] = Email,
        ["email address"] = Email,
        ["email_address"] = Email,
        ["mail"] = Email,
        ["full name"] = Name,
        ["full_name"] = Name,
    };

    /// <summary>
    /// Maps headers to fields: an explicit mapping first (header to field, or to "attribute:x" or "ignore"),
    /// then exact field names, then common aliases; anything else is an attribute named after its header.
    /// Returns for each column its field, "attribute:NAME" or null (ignored).
    /// </summary>
    public static string?[] Map(IReadOnlyList<string> headers, IReadOnlyDictionary<string, string>? mapping)
    {
        var result = new string?[headers.Count];
        for (var i = 0; i < headers.Count; i++)
        {
            var h = headers[i].Trim().TrimStart('\uFEFF');
            if (mapping is not null && mapping.TryGetValue(h, out var to))
            {
                result[i] = to == "ignore" ? null : to;
                continue;
            }
            var lower = h.ToLowerInvariant();
            if (Known.Contains(lower))
                result[i] = lower;
            else if (Aliases.TryGetValue(h, out var alias))
                result[i] = alias;
            else if (h.Length > 0)
                result[i] = "attribute:" + h;
        }
        return result;
    }

    /// <summary>Says what is wrong with a mapping target, or null.</summary>
    public static string? TargetProblem(string target) =>
        target == "ignore" || Known.Contains(target) || (target.StartsWith("attribute:", StringComparison.Ordinal) && target.Length > 10 && target.Length <= 74)
            ? null
            : $"'{target}' is not a field: use one of {string.Join(", ", Known)}, attribute:NAME or ignore";
}
