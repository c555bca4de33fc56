using Lupa.Admin;
using Lupa.Domain;
using Lupa.Domain.Privacy;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/privacy-requests/{id}: one request with its deadline, and the actions extend, complete and refuse.</summary>
public sealed class PrivacyRequestModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>The request.</summary>
    public PrivacyRequestRow Row { get; private set; } = null!;

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Whether the request still waits for an answer.</summary>
    public bool IsOpen => PrivacyRequestStatuses.IsOpen(Row.Status);

    /// <summary>Further months that may still be granted.</summary>
    public int ExtensionMonthsLeft => PrivacyDeadlines.MaxExtensionMonths - Row.ExtensionMonths;

    /// <summary>The last day an extension may be made and told (one month after receipt).</summary>
    public DateOnly ExtendBy => PrivacyDeadlines.DueDate(DateOf(Row.ReceivedAt));

    /// <summary>Shows the request.</summary>
    public async Task<IActionResult> OnGetAsync(long id, string? done, CancellationToken ct)
    {
        if (await Privacy.For(Organisation.Id).GetAsync(id, ct) is not { } row)
            return NotFoundPage("request");
        Row = row;
        await AuditAsync(AuditActions.PrivacyRequestView, "privacy_request:" + id, null, ct);
        Notice = done switch
        {
            "extend" => "The deadline is extended; the person is told by mail.",
            "complete" => "The request is completed.",
            "refuse" => "The request is refused; the person is told why, and of their right to complain.",
            "approve" => "Approved and fulfilled.",
            _ => null,
        };
        return Page();
    }

    /// <summary>Extends the deadline.</summary>
    public Task<IActionResult> OnPostExtendAsync(long id, [FromForm] int? months, [FromForm] string? reason, CancellationToken ct) =>
        ActAsync(id, "extend", () => Privacy.ExtendAsync(Organisation.Id, id, months, reason, Person.Email, ct), ct);

    /// <summary>Completes the request.</summary>
    public Task<IActionResult> OnPostCompleteAsync(long id, [FromForm] string? outcome, CancellationToken ct) =>
        ActAsync(id, "complete", () => Privacy.CompleteAsync(Organisation.Id, id, outcome, Person.Email, ct), ct);

    /// <summary>Approves a request that waits for approval, and fulfils it.</summary>
    public Task<IActionResult> OnPostApproveAsync(long id, CancellationToken ct) =>
        ActAsync(id, "approve", () => Privacy.ApproveAsync(Organisation.Id, id, Person.Email, ct), ct);

    /// <summary>Refuses the request.</summary>
    public Task<IActionResult> OnPostRefuseAsync(long id, [FromForm] string? reason, CancellationToken ct) =>
        ActAsync(id, "refuse", () => Privacy.RefuseAsync(Organisation.Id, id, reason, Person.Email, ct), ct);

    private async Task<IActionResult> ActAsync(long id, string action, Func<Task<Outcome<PrivacyRequestRow>>> act, CancellationToken ct)
    {
        var result = await act();
        if (result.IsOk)
            return LocalRedirect(OrgUrl("privacy-requests/" + id) + "?done=" + action);
        if (result.Code == "not_found" || await Privacy.For(Organisation.Id).GetAsync(id, ct) is not { } row)
            return NotFoundPage("request");
        Row = row;
        Refuse(AdminText.Sentence(result.Code is "status" or "months" or "reason" or "outcome" ? result.Reason! : result.Code + " " + result.Reason),
            result.Code == "status" ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity);
        return Page();
    }
}
