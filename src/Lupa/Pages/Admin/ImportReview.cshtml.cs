using Lupa.Admin;
using Lupa.Domain;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin;

/// <summary>/admin/imports: the operator's review of imports the purchased-list check held, from every organisation. 404 for anyone else.</summary>
public sealed class ImportReviewModel(SystemStore system, LupaDatabase db, SubscriptionService subscriptions, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>Longest review note kept.</summary>
    public const int MaxNoteLength = 2000;

    private readonly ImportStore _imports = new(db);

    /// <summary>The held imports, oldest first.</summary>
    public IReadOnlyList<ImportJobRow> Held { get; private set; } = [];

    /// <summary>Organisations by id.</summary>
    public IReadOnlyDictionary<long, OrganisationRow> Organisations { get; private set; } = new Dictionary<long, OrganisationRow>();

    /// <summary>What the last decision did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Why the last decision was refused.</summary>
    public string? Error { get; private set; }

    /// <inheritdoc />
    protected override Task<IActionResult?> AuthorizePageAsync(CancellationToken ct) =>
        Task.FromResult(IsOperator ? null : NotFoundPage("page"));

    /// <summary>Shows the held imports.</summary>
    public async Task OnGetAsync(long? reviewed, bool approved, CancellationToken ct)
    {
        if (reviewed is { } id)
            Notice = $"Import #{id} {(approved ? "approved: it runs now" : "rejected")}. The organisation's owners were told by mail.";
        await LoadAsync(ct);
    }

    /// <summary>Approves or rejects a held import, and tells the organisation's owners.</summary>
    public async Task<IActionResult> OnPostReviewAsync([FromForm] long id, [FromForm] string? decision, [FromForm] string? note, [FromForm] string? back, CancellationToken ct)
    {
        note = (note ?? "").Trim();
        var job = await _imports.GetAnyAsync(id, ct);
        string? problem = null;
        var status = StatusCodes.Status422UnprocessableEntity;
        if (job is null)
            return NotFoundPage("import");
        if (decision is not ("approve" or "reject"))
            problem = "Choose approve or reject.";
        else if (AdminText.NoteProblem(note, MaxNoteLength) is { } noteProblem)
            problem = noteProblem;
        else if (job.Status != ImportStatuses.Held || !await _imports.ReviewAsync(id, decision == "approve", note, Person.Email, Now(), ct))
        {
            problem = $"Import #{id} is no longer held (it is {(await _imports.GetAnyAsync(id, ct))?.Status}); someone decided already.";
            status = StatusCodes.Status409Conflict;
        }
        if (problem is not null)
        {
            Error = problem;
            Response.StatusCode = status;
            await LoadAsync(ct);
            return Page();
        }
        var approve = decision == "approve";
        await AuditAsync(job.OrgId, Lupa.Domain.Privacy.AuditActions.ImportReview, "import:" + id, new { decision }, ct);
        if (!approve)
            Lupa.Imports.ImportRunner.DeleteUpload(job);
        var org = await SystemData.GetOrganisationAsync(job.OrgId, ct);
        var text = approve
            ? $"The operator approved your import #{id} ({job.FileName}) of {org?.Name}, which the purchased-list check had held. It runs now; its page shows the progress and the report."
            : $"The operator rejected your import #{id} ({job.FileName}) of {org?.Name}, which the purchased-list check had held. Nothing from it was activated.";
        text += $"\n\nThe check found: {job.HeldReasons}";
        text += note.Length > 0 ? $"\n\nThe operator's note:\n{note}" : "\n\nThe operator left no note.";
        await subscriptions.NotifyOwnersAsync(job.OrgId, $"Import #{id} {(approve ? "approved" : "rejected")}", text, ct);
        // The acceptable use dashboard shows the same forms and takes the operator back to itself.
        var page = back == HeldImportsView.Dashboard ? "/admin/acceptable-use" : "/admin/imports";
        return LocalRedirect($"{page}?reviewed={id}&approved={(approve ? "true" : "false")}");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Held = await _imports.ListByStatusAsync(ImportStatuses.Held, ct);
        Organisations = (await SystemData.ListOrganisationsAsync(ct)).ToDictionary(o => o.Id);
    }
}

/// <summary>The held imports with their decision forms, as the import review page and the acceptable use dashboard show them.</summary>
/// <param name="Held">The held imports.</param>
/// <param name="Organisations">Organisations by id.</param>
/// <param name="Back">Where the review sends the operator after a decision: <see cref="Dashboard"/>, or null for the import review page.</param>
public sealed record HeldImportsView(IReadOnlyList<ImportJobRow> Held, IReadOnlyDictionary<long, OrganisationRow> Organisations, string? Back)
{
    /// <summary>The value of <see cref="Back"/> for the acceptable use dashboard.</summary>
    public const string Dashboard = "acceptable-use";
}
