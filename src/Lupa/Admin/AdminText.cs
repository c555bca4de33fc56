using System.Globalization;
using Lupa.Domain;

namespace Lupa.Admin;

/// <summary>Rules and formats for what the admin UI shows and accepts.</summary>
public static class AdminText
{
    /// <summary>
    /// Says why a name typed in the admin UI is refused, or null: required, one line, not too long,
    /// and no angle brackets (a name is never markup; refusing them keeps names plain everywhere they go later, such as mail headers and exports).
    /// </summary>
    public static string? NameProblem(string? value, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "is required";
        return TextRules.NameProblem(value, maxLength);
    }

    /// <summary>Says why an operator's note to an organisation (several lines allowed) is refused, or null.</summary>
    public static string? NoteProblem(string note, int maxLength)
    {
        if (note.Length > maxLength)
            return $"The note may be at most {maxLength} characters.";
        if (note.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            return "The note must not contain control characters.";
        return null;
    }

    /// <summary>A reason as a sentence: capital first letter, full stop at the end.</summary>
    public static string Sentence(string reason)
    {
        reason = reason.Trim();
        if (reason.Length == 0)
            return reason;
        reason = char.ToUpperInvariant(reason[0]) + reason[1..];
        return reason.EndsWith('.') ? reason : reason + ".";
    }

    /// <summary>A stored time (Unix milliseconds) as UTC text.</summary>
    public static string Time(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>A stored time or an empty string.</summary>
    public static string Time(long? ms) => ms is { } v ? Time(v) : "";

    /// <summary>The first characters of a hash.</summary>
    public static string Short(string? hash, int length = 12) => hash is null ? "" : hash.Length <= length ? hash : hash[..length];

    // Blocks every fetch from the shown HTML (tracking pixels, fonts, scripts) except inline data.
    private const string SandboxPolicy = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:\">";

    /// <summary>
    /// A message's HTML for the srcdoc of an iframe with an empty sandbox attribute: a content security
    /// policy in front stops it loading anything from the network.
    /// </summary>
    public static string Sandboxed(string html) => SandboxPolicy + html;

    /// <summary>How consent was given or withdrawn, as people read it.</summary>
    public static string ConsentMethod(string method) => method switch
    {
        ConsentMethods.Form => "Form",
        ConsentMethods.DoubleOptIn => "Double opt-in",
        ConsentMethods.Api => "API",
        ConsentMethods.Import => "Import",
        ConsentMethods.Unsubscribe => "Unsubscribe link",
        ConsentMethods.PreferenceCentre => "Preference centre",
        ConsentMethods.Objection => "Objection",
        ConsentMethods.Complaint => "Complaint",
        "paper" => "Paper",
        "phone" => "Phone",
        "event" => "Event",
        _ => method,
    };

    /// <summary>A role as people read it.</summary>
    public static string RoleName(string role) => role switch
    {
        Roles.Operator => "Operator",
        Roles.Owner => "Owner",
        Roles.Admin => "Admin",
        Roles.Marketer => "Marketer",
        Roles.PrivacyOfficer => "Privacy officer",
        Roles.Viewer => "Viewer",
        _ => role,
    };
}
