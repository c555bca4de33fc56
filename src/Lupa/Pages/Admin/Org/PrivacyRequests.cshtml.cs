using Lupa.Admin;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;

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

    /// <summary>Open requests past their due date.</summary>
    public long OverdueCount { get; private set; }

    /// <summary>Open requests due within seven days.</summary>
    public long DueSoonCount { get; private set; }

    /// <summary>The requests.</summary>
    public IReadOnlyList<PrivacyRequestRow> Requests { get; private set; } = [];

    /// <summary>Shows the register.</summary>
    public async Task OnGetAsync(string? status, bool overdue, bool dueSoon, CancellationToken ct)
    {
        Status = PrivacyRequestStatuses.IsKnown(status) ? status! : "";
        Overdue = overdue;
        DueSoon = dueSoon;
        (OverdueCount, DueSoonCount) = await Privacy.CountDeadlinesAsync(Organisation.Id, ct);
        Requests = await Privacy.For(Organisation.Id).ListAsync(Privacy.Filter(Status.Length == 0 ? null : Status, Overdue, DueSoon, Limit), ct);
    }
}
