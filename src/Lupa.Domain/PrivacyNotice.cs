using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lupa.Domain;

/// <summary>
/// The contents of an organisation's privacy notice (GDPR Article 13). Purposes and legal bases per
/// list come from the lists themselves; everything else is written by the organisation.
/// </summary>
public sealed record PrivacyNoticeContent
{
    /// <summary>The controller's name.</summary>
    public string ControllerName { get; init; } = "";

    /// <summary>The controller's address and contact details.</summary>
    public string ControllerContact { get; init; } = "";

    /// <summary>The data protection officer's contact, if one is appointed.</summary>
    public string DpoContact { get; init; } = "";

    /// <summary>Recipients or categories of recipients (processors, integrations).</summary>
    public string Recipients { get; init; } = "";

    /// <summary>Transfers outside the EU/EEA and their safeguards.</summary>
    public string Transfers { get; init; } = "No personal data is transferred outside the EU/EEA.";

    /// <summary>How long the data is kept.</summary>
    public string Retention { get; init; } = "Subscriber data is kept while the subscription is active. Unconfirmed requests are deleted after 30 days.";

    /// <summary>The data subject's rights.</summary>
    public string Rights { get; init; } = "You have the right to access, rectify and erase your data, to restrict or object to its processing, to data portability, and to withdraw consent at any time without affecting the lawfulness of earlier processing.";

    /// <summary>The supervisory authority's name.</summary>
    public string AuthorityName { get; init; } = "Office of the Data Protection Ombudsman (Tietosuojavaltuutetun toimisto)";

    /// <summary>The supervisory authority's contact.</summary>
    public string AuthorityContact { get; init; } = "PL 800, 00531 Helsinki, Finland; tietosuoja@om.fi; https://tietosuoja.fi";

    /// <summary>Whether and how automated decisions or profiling are used.</summary>
    public string AutomatedDecisions { get; init; } = "No decisions with legal or similarly significant effects are made by automated means.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Serialises for storage.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads stored content.</summary>
    public static PrivacyNoticeContent FromJson(string json) => JsonSerializer.Deserialize<PrivacyNoticeContent>(json, Json) ?? new();

    /// <summary>The first version an organisation starts with.</summary>
    public static PrivacyNoticeContent DefaultFor(string organisationName, string contactEmail) => new()
    {
        ControllerName = organisationName,
        ControllerContact = contactEmail,
        Recipients = "Lupa, operated by our email service provider, as processor.",
    };

    /// <summary>Says which field is unusable and why, or null.</summary>
    public (string Field, string Reason)? Problem()
    {
        if (string.IsNullOrWhiteSpace(ControllerName))
            return ("controllerName", "is required");
        if (string.IsNullOrWhiteSpace(ControllerContact))
            return ("controllerContact", "is required");
        if (string.IsNullOrWhiteSpace(AuthorityName) || string.IsNullOrWhiteSpace(AuthorityContact))
            return ("authorityContact", "the supervisory authority and its contact are required");
        foreach (var (name, value) in new[] { ("controllerName", ControllerName), ("controllerContact", ControllerContact), ("dpoContact", DpoContact), ("recipients", Recipients), ("transfers", Transfers), ("retention", Retention), ("rights", Rights), ("authorityName", AuthorityName), ("authorityContact", AuthorityContact), ("automatedDecisions", AutomatedDecisions) })
        {
            if ((value ?? "").Length > 8000)
                return (name, "must be at most 8000 characters");
        }
        return null;
    }
}
