using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Admin;

/// <summary>Base of the request register's pages: for the privacy officer, owners and admins of the organisation.</summary>
public abstract class PrivacyPageModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy) : OrgPageModel(system, db, clock)
{
    /// <summary>The register.</summary>
    protected PrivacyRequestService Privacy => privacy;

    /// <summary>Today, where deadlines are counted.</summary>
    public DateOnly Today => privacy.Today();

    /// <inheritdoc />
    protected override async Task<IActionResult?> AuthorizePageAsync(CancellationToken ct)
    {
        if (await base.AuthorizePageAsync(ct) is { } denied)
            return denied;
        return Roles.CanHandlePrivacyRequests(Role) ? null : ForbiddenPage("The request register is for the privacy officer, owners and admins.");
    }

    /// <summary>When the answer is due now.</summary>
    public DateOnly DueDate(PrivacyRequestRow r) => privacy.DueDate(r);

    /// <summary>A stored time as the date it falls on where deadlines are counted.</summary>
    public DateOnly DateOf(long ms) => privacy.DateOf(ms);

    /// <summary>The CSS class of a request's deadline: overdue, due-soon, or none.</summary>
    public string DeadlineClass(PrivacyRequestRow r) => privacy.State(r) switch
    {
        DeadlineState.Overdue => "overdue",
        DeadlineState.DueSoon => "due-soon",
        _ => "",
    };

    /// <summary>The deadline in words: "3 days overdue", "due today", "due in 5 days"; empty for a closed request.</summary>
    public string DeadlineText(PrivacyRequestRow r)
    {
        if (privacy.State(r) is null)
            return "";
        var left = PrivacyDeadlines.DaysLeft(DueDate(r), Today);
        return left switch
        {
            < -1 => $"{-left} days overdue",
            -1 => "1 day overdue",
            0 => "due today",
            1 => "due tomorrow",
            _ => $"due in {left} days",
        };
    }

    /// <summary>A type as the register shows it.</summary>
    public static string TypeName(PrivacyRequestRow r) => r.Type switch
    {
        PrivacyRequestTypes.Objection => r.ObjectionScope == ObjectionScopes.Profiling ? "objection (profiling)" : "objection (direct marketing)",
        _ => r.Type,
    };

    /// <summary>The GDPR article of a request's type, as "Art. 15".</summary>
    public static string Article(PrivacyRequestRow r) => $"Art. {PrivacyRequestTypes.Article(r.Type)}";

    /// <summary>A status or channel as people read it.</summary>
    public static string Words(string value) => value.Replace('_', ' ');
}
