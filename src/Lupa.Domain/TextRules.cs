namespace Lupa.Domain;

/// <summary>Checks for free text a user types: names, descriptions, slugs.</summary>
public static class TextRules
{
    /// <summary>Longest person name kept.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Says why a single-line value is refused, or null when it is fine.</summary>
    public static string? SingleLineProblem(string? value, int maxLength)
    {
        if (value is null)
            return null;
        if (value.Length > maxLength)
            return $"must be at most {maxLength} characters";
        foreach (var c in value)
        {
            if (c is '\r' or '\n')
                return "must not contain line breaks";
            if (char.IsControl(c))
                return "must not contain control characters";
        }
        return null;
    }

    /// <summary>
    /// Says why a name (of a person, list or organisation) is refused, or null: one line, not too long,
    /// and no angle brackets. A name is never markup; refusing them keeps names plain everywhere they
    /// go later (pages, mail headers, exports). Empty is allowed here; callers that need a name say so.
    /// </summary>
    public static string? NameProblem(string? value, int maxLength = MaxNameLength)
    {
        if (SingleLineProblem(value, maxLength) is { } p)
            return p;
        if (value is not null && value.AsSpan().IndexOfAny('<', '>') >= 0)
            return "must not contain < or >";
        return null;
    }

    /// <summary>Says why a slug is refused, or null: 1 to 64 of a-z, 0-9 and hyphens, not starting with a hyphen.</summary>
    public static string? SlugProblem(string? slug)
    {
        if (string.IsNullOrEmpty(slug))
            return "is required";
        if (slug.Length > 64)
            return "must be at most 64 characters";
        if (slug[0] == '-' || slug[^1] == '-')
            return "must not start or end with a hyphen";
        foreach (var c in slug)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-'))
                return "may contain only a-z, 0-9 and hyphens";
        }
        return null;
    }
}
