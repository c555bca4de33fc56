namespace Lupa.Domain;

/// <summary>What a person may do inside an organisation.</summary>
public static class Roles
{
    public const string Operator = "operator";
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Marketer = "marketer";
    public const string PrivacyOfficer = "privacy_officer";
    public const string Viewer = "viewer";

    /// <summary>The roles a person of an organisation can hold.</summary>
    public static readonly IReadOnlyList<string> OrganisationRoles = [Owner, Admin, Marketer, PrivacyOfficer, Viewer];

    /// <summary>Whether the role may change lists, subscribers and settings.</summary>
    public static bool CanEdit(string role) => role is Operator or Owner or Admin or Marketer;

    /// <summary>Whether the role may manage people, keys and the privacy notice.</summary>
    public static bool CanAdminister(string role) => role is Operator or Owner or Admin;

    /// <summary>Whether the role may read and answer data-subject requests: the privacy officer, owners and admins.</summary>
    public static bool CanHandlePrivacyRequests(string role) => role is Operator or Owner or Admin or PrivacyOfficer;
}

/// <summary>The languages Lupa's public pages and system mail speak.</summary>
public static class Languages
{
    public const string Finnish = "fi";
    public const string English = "en";

    /// <summary>True for a supported language code.</summary>
    public static bool IsSupported(string? code) => code is Finnish or English;
}

/// <summary>How a list admits a subscriber.</summary>
public static class OptInModes
{
    public const string Double = "double";
    public const string Single = "single";

    /// <summary>True for a known mode.</summary>
    public static bool IsKnown(string? mode) => mode is Double or Single;
}

/// <summary>The legal basis on which a list processes its subscribers' addresses.</summary>
public static class LegalBases
{
    /// <summary>Article 6(1)(a) consent.</summary>
    public const string Consent = "consent";

    /// <summary>The soft opt-in of existing customers (Finnish Information Society Code, section 200).</summary>
    public const string Customer = "customer";

    /// <summary>True for a known basis.</summary>
    public static bool IsKnown(string? basis) => basis is Consent or Customer;
}

/// <summary>The life of one person's subscription to one list.</summary>
public static class SubscriptionStatuses
{
    public const string Pending = "pending";
    public const string Confirmed = "confirmed";
    public const string Unsubscribed = "unsubscribed";
}

/// <summary>Whether a consent record grants or withdraws.</summary>
public static class ConsentKinds
{
    public const string Grant = "grant";
    public const string Withdrawal = "withdrawal";
}

/// <summary>How consent was given or withdrawn.</summary>
public static class ConsentMethods
{
    /// <summary>The public form was sent (a grant awaiting confirmation).</summary>
    public const string Form = "form";

    /// <summary>The confirmation link of a double opt-in was opened.</summary>
    public const string DoubleOptIn = "double_opt_in";

    /// <summary>Added through the API with evidence from the caller.</summary>
    public const string Api = "api";

    /// <summary>Imported with evidence.</summary>
    public const string Import = "import";

    /// <summary>A one-click unsubscribe (RFC 8058) or the unsubscribe page.</summary>
    public const string Unsubscribe = "unsubscribe";

    /// <summary>The preference centre.</summary>
    public const string PreferenceCentre = "preference_centre";

    /// <summary>An objection to direct marketing (GDPR Article 21(3)): withdrawn from every list.</summary>
    public const string Objection = "objection";
    /// <summary>The person reported a campaign message as spam (a feedback-loop complaint, ARF).</summary>
    public const string Complaint = "complaint";

    /// <summary>Methods a caller may state as evidence of an earlier consent.</summary>
    public static readonly IReadOnlyList<string> EvidenceMethods = ["form", "double_opt_in", "paper", "phone", "event", "api"];
}
