using Lupa.Admin;
using Lupa.Domain;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>The privacy notice form; every field of <see cref="PrivacyNoticeContent"/>.</summary>
public sealed class PrivacyNoticeForm
{
    /// <summary>See <see cref="PrivacyNoticeContent.ControllerName"/>.</summary>
    public string? ControllerName { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.ControllerContact"/>.</summary>
    public string? ControllerContact { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.DpoContact"/>.</summary>
    public string? DpoContact { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.Recipients"/>.</summary>
    public string? Recipients { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.Transfers"/>.</summary>
    public string? Transfers { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.Retention"/>.</summary>
    public string? Retention { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.Rights"/>.</summary>
    public string? Rights { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.AuthorityName"/>.</summary>
    public string? AuthorityName { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.AuthorityContact"/>.</summary>
    public string? AuthorityContact { get; set; }

    /// <summary>See <see cref="PrivacyNoticeContent.AutomatedDecisions"/>.</summary>
    public string? AutomatedDecisions { get; set; }

    /// <summary>The form filled from stored content.</summary>
    public static PrivacyNoticeForm From(PrivacyNoticeContent c) => new()
    {
        ControllerName = c.ControllerName,
        ControllerContact = c.ControllerContact,
        DpoContact = c.DpoContact,
        Recipients = c.Recipients,
        Transfers = c.Transfers,
        Retention = c.Retention,
        Rights = c.Rights,
        AuthorityName = c.AuthorityName,
        AuthorityContact = c.AuthorityContact,
        AutomatedDecisions = c.AutomatedDecisions,
    };

    /// <summary>The content the form describes, each field trimmed.</summary>
    public PrivacyNoticeContent ToContent() => new()
    {
        ControllerName = Clean(ControllerName),
        ControllerContact = Clean(ControllerContact),
        DpoContact = Clean(DpoContact),
        Recipients = Clean(Recipients),
        Transfers = Clean(Transfers),
        Retention = Clean(Retention),
        Rights = Clean(Rights),
        AuthorityName = Clean(AuthorityName),
        AuthorityContact = Clean(AuthorityContact),
        AutomatedDecisions = Clean(AutomatedDecisions),
    };

    // Browsers send textarea line breaks as CR LF; store plain LF like the API's JSON usually carries.
    private static string Clean(string? value) => (value ?? "").ReplaceLineEndings("\n").Trim();
}

/// <summary>/admin/o/{org}/privacy-notice: edit and publish the notice as a new version; owners and admins only.</summary>
public sealed class PrivacyNoticeModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    private static readonly Dictionary<string, string> FieldLabels = new()
    {
        ["controllerName"] = "Controller",
        ["controllerContact"] = "Controller's contact details",
        ["dpoContact"] = "Data protection officer's contact",
        ["recipients"] = "Recipients",
        ["transfers"] = "Transfers",
        ["retention"] = "Retention",
        ["rights"] = "Rights",
        ["authorityName"] = "Supervisory authority",
        ["authorityContact"] = "Supervisory authority's contact",
        ["automatedDecisions"] = "Automated decisions",
    };

    /// <inheritdoc />
    protected override bool RequiresAdminister => true;

    /// <summary>The form.</summary>
    [BindProperty]
    public PrivacyNoticeForm Form { get; set; } = new();

    /// <summary>The current version number, or null when none exists.</summary>
    public int? CurrentVersion { get; private set; }

    /// <summary>Every version, newest first.</summary>
    public IReadOnlyList<PrivacyNoticeRow> Versions { get; private set; } = [];

    /// <summary>The version just published.</summary>
    public int? Published { get; private set; }

    /// <summary>True when a publish changed nothing.</summary>
    public bool Unchanged { get; private set; }

    /// <summary>Shows the current version in the form.</summary>
    public async Task OnGetAsync(int? published, CancellationToken ct)
    {
        var current = await LoadAsync(ct);
        Form = PrivacyNoticeForm.From(current ?? PrivacyNoticeContent.DefaultFor(Organisation.Name, Person.Email));
        Published = published;
    }

    /// <summary>Publishes a new version, unless nothing changed.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var current = await LoadAsync(ct);
        var content = Form.ToContent();
        if (TextRules.SingleLineProblem(content.ControllerName, 500) is { } p1)
            Refuse(AdminText.Sentence("controller " + p1));
        else if (TextRules.SingleLineProblem(content.AuthorityName, 500) is { } p2)
            Refuse(AdminText.Sentence("supervisory authority " + p2));
        else if (content.Problem() is { } p)
            Refuse(AdminText.Sentence(FieldLabels.GetValueOrDefault(p.Field, p.Field) + ": " + p.Reason));
        else if (current is not null && current == content)
            Unchanged = true;
        else
        {
            var version = await Store.AddPrivacyNoticeAsync(content.ToJson(), Person.Email, Now(), ct);
            return LocalRedirect(OrgUrl("privacy-notice") + "?published=" + version);
        }
        return Page();
    }

    private async Task<PrivacyNoticeContent?> LoadAsync(CancellationToken ct)
    {
        Versions = await Store.ListPrivacyNoticesAsync(ct);
        if (Versions.Count == 0)
            return null;
        CurrentVersion = Versions[0].Version;
        return PrivacyNoticeContent.FromJson(Versions[0].Content);
    }
}
