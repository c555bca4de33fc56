using System.Globalization;

namespace Lupa.Domain;

/// <summary>
/// A mailbox address in the form Lupa stores it: trimmed, the domain lower-cased and in its
/// IDNA (punycode) form, the local part kept exactly as given.
/// </summary>
public sealed record EmailAddress
{
    /// <summary>The longest address RFC 5321 lets through a forward path.</summary>
    public const int MaxLength = 254;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    private EmailAddress(string localPart, string domain)
    {
        LocalPart = localPart;
        Domain = domain;
        // Built once: an import reads it several times a row. It follows from the two parts, so equality is unchanged.
        Value = localPart + "@" + domain;
    }

    /// <summary>The part before the @, as the person typed it.</summary>
    public string LocalPart { get; }

    /// <summary>The domain, lower-case ASCII (IDNA A-labels).</summary>
    public string Domain { get; }

    /// <summary>The normalised address.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value;

    /// <summary>
    /// Rebuilds an address from the parts of one that <see cref="Parse"/> already normalised (kept by
    /// the import between its check and its apply phase), without checking it again.
    /// </summary>
    public static EmailAddress FromNormalised(string localPart, string domain) => new(localPart, domain);

    /// <summary>Parses and normalises an address, or says why it is not one.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Outcome<EmailAddress> Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
            return Outcome<EmailAddress>.Fail("required", "An email address is required.");
        var text = input.Trim();
        foreach (var c in text)
        {
            if (c == '\r' || c == '\n' || c == '\0')
                return Outcome<EmailAddress>.Fail("control_characters", "The address contains a line break or control character.");
            if (char.IsControl(c) || char.IsWhiteSpace(c))
                return Outcome<EmailAddress>.Fail("whitespace", "The address contains spaces or control characters.");
        }
        if (text.Length > MaxLength)
            return Outcome<EmailAddress>.Fail("too_long", $"The address is longer than {MaxLength} characters.");
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
            return Outcome<EmailAddress>.Fail("missing_at", "The address needs a name, an @ and a domain.");
        var local = text[..at];
        var domain = text[(at + 1)..].TrimEnd('.');
        if (local.Length > 64)
            return Outcome<EmailAddress>.Fail("local_part_too_long", "The part before the @ is longer than 64 characters.");
        if (!IsValidLocalPart(local))
            return Outcome<EmailAddress>.Fail("invalid_local_part", "The part before the @ contains characters an address cannot have.");
        string ascii;
        if (IsPlainAscii(domain))
        {
            // Most domains are plain ASCII: lower-casing is all IDNA would do, without the ICU call.
            ascii = domain.ToLowerInvariant();
        }
        else
        {
            try
            {
                ascii = Idn.GetAscii(domain.ToLowerInvariant()).ToLowerInvariant();
            }
            catch (ArgumentException)
            {
                return Outcome<EmailAddress>.Fail("invalid_domain", "The domain is not a valid domain name.");
            }
        }
        if (!IsValidDomain(ascii))
            return Outcome<EmailAddress>.Fail("invalid_domain", "The domain is not a valid domain name.");
        return Outcome<EmailAddress>.Ok(new EmailAddress(local, ascii));
    }

    private static bool IsPlainAscii(string domain)
    {
        if (domain.StartsWith("xn--", StringComparison.OrdinalIgnoreCase) || domain.Contains(".xn--", StringComparison.OrdinalIgnoreCase))
            return false;
        foreach (var c in domain)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.'))
                return false;
        }
        return true;
    }

    private static bool IsValidLocalPart(string local)
    {
        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
            return false;
        foreach (var c in local)
        {
            if (c > 127)
                continue; // RFC 6531 allows UTF-8 local parts
            if (char.IsAsciiLetterOrDigit(c))
                continue;
            if ("!#$%&'*+-/=?^_`{|}~.".Contains(c, StringComparison.Ordinal))
                continue;
            return false;
        }
        return true;
    }

    private static bool IsValidDomain(string domain)
    {
        if (domain.Length is 0 or > 253 || !domain.Contains('.', StringComparison.Ordinal))
            return false;
        foreach (var label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-'))
                return false;
            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                    return false;
            }
        }
        return true;
    }
}
