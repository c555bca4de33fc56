using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/privacy-requests: the register, overdue and due-soon requests first and highlighted; filters by status and deadline.</summary>
public sealed class PrivacyRequestsModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>Rows shown at most.</summary>
    public const int Limit = 500;

    /// <summary>The status filter, or empty for every verified request.</summary>
    public string Status { get; private set; } = "";

    /// <summary>Only overdue requests.</summary>
    public bool Overdue { get; private set; }

    /// <summary>Only requests due within seven days.</summary>
    public bool DueSoon { get; private set; }

    /// <summary>Only requests that wait for approval.</summary>
    public bool AwaitingApproval { get; private set; }

    /// <summary>Whether verified self-service requests wait for approval.</summary>
    public bool ApprovalRequired { get; private set; }

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Open requests past their due date.</summary>
    public long OverdueCount { get; private set; }

    /// <summary>Open requests due within seven days.</summary>
    public long DueSoonCount { get; private set; }

    /// <summary>The requests.</summary>
    public IReadOnlyList<PrivacyRequestRow> Requests { get; private set; } = [];

    /// <summary>Shows the register.</summary>
    public async Task OnGetAsync(string? status, bool overdue, bool dueSoon, bool awaitingApproval, string? saved, CancellationToken ct)
    {
        Status = PrivacyRequestStatuses.IsKnown(status) ? status! : "";
        Overdue = overdue;
        DueSoon = dueSoon;
        AwaitingApproval = awaitingApproval;
        Notice = saved switch
        {
            "approval" => "Saved: verified requests now wait for your approval.",
            "automatic" => "Saved: verified requests are now fulfilled at once.",
            _ => null,
        };
        ApprovalRequired = await Privacy.FulfilmentApprovalAsync(Organisation.Id, ct);
        (OverdueCount, DueSoonCount) = await Privacy.CountDeadlinesAsync(Organisation.Id, ct);
        Requests = await Privacy.For(Organisation.Id).ListAsync(
            Privacy.Filter(Status.Length == 0 ? null : Status, Overdue, DueSoon, Limit) with { AwaitingApproval = AwaitingApproval }, ct);
        await AuditListedAsync(AuditActions.PrivacyRequestList, "privacy_requests", Requests.Select(r => r.Id).ToList(), new { status = Status.Length == 0 ? null : Status }, ct);
    }

    /// <summary>Sets whether fulfilment is automatic or waits for approval.</summary>
    public async Task<IActionResult> OnPostFulfilmentAsync([FromForm] string? fulfilment, CancellationToken ct)
    {
        if (fulfilment is not ("automatic" or "approval"))
            return StatusPage(422, "Choose a fulfilment", "Fulfilment is automatic or after approval.");
        await Privacy.SetFulfilmentApprovalAsync(Organisation.Id, fulfilment == "approval", Person.Email, ct);
        return LocalRedirect(OrgUrl("privacy-requests") + "?saved=" + fulfilment);
    }
}
