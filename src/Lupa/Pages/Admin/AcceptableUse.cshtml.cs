using Lupa.AcceptableUse;
using Lupa.Admin;
using Lupa.Domain.AcceptableUse;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin;

/// <summary>An organisation's line on the dashboard.</summary>
/// <param name="Figures">Its campaigns of the window added up.</param>
/// <param name="Findings">Those figures against the thresholds.</param>
/// <param name="HeldImports">Its imports held by the purchased-list check.</param>
/// <param name="Suspension">Its open suspension, or null.</param>
public sealed record OrganisationLine(OrganisationSendingRow Figures, IReadOnlyList<PolicyFinding> Findings, int HeldImports, SuspensionRow? Suspension)
{
    /// <summary>Stop while suspended, else the worst finding.</summary>
    public PolicyLevel Level => Suspension is not null ? PolicyLevel.Stop : AcceptableUsePolicy.Worst(Findings);

    /// <summary>The finding of a measure.</summary>
    public PolicyFinding Finding(string measure) => Findings.First(f => f.Measure == measure);
}

/// <summary>
/// /admin/acceptable-use: the operator's dashboard. Every organisation's campaigns of the window with
/// their rates, held imports and suspensions; the suspensions to review (lift, or keep with a note), and
/// the held imports with the import review's own decision forms. 404 for anyone but the operator.
/// </summary>
public sealed class AcceptableUseModel(SystemStore system, LupaDatabase db, AcceptableUseService acceptableUse, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>Longest review note kept.</summary>
    public const int MaxNoteLength = 2000;

    /// <summary>Lifted suspensions listed.</summary>
    public const int HistoryShown = 20;

    /// <summary>The thresholds in force.</summary>
    public AcceptableUsePolicy Policy => acceptableUse.Policy;

    /// <summary>Every organisation, by name.</summary>
    public IReadOnlyList<OrganisationLine> Organisations { get; private set; } = [];

    /// <summary>Open suspensions, oldest first.</summary>
    public IReadOnlyList<SuspensionRow> Open { get; private set; } = [];

    /// <summary>The latest lifted suspensions.</summary>
    public IReadOnlyList<SuspensionRow> Lifted { get; private set; } = [];

    /// <summary>Held imports and their forms.</summary>
    public HeldImportsView HeldImports { get; private set; } = null!;

    /// <summary>What the last decision did.</summary>
    public string? Notice { get; private set; }

    /// <summary>Why the last decision was refused.</summary>
    public string? Error { get; private set; }

    /// <summary>The suspension the refused form was about.</summary>
    public long? ErrorFor { get; private set; }

    /// <inheritdoc />
    protected override Task<IActionResult?> AuthorizePageAsync(CancellationToken ct) =>
        Task.FromResult(IsOperator ? null : NotFoundPage("page"));

    /// <summary>Shows the dashboard, with what the last decision did.</summary>
    public async Task OnGetAsync(long? reviewed, bool approved, long? suspension, string? decision, CancellationToken ct)
    {
        if (reviewed is { } id)
            Notice = $"Import #{id} {(approved ? "approved: it runs now" : "rejected")}. The organisation's owners were told by mail.";
        if (suspension is { } s && await acceptableUse.Store.GetAsync(s, ct) is { } row)
        {
            Notice = decision == "lift"
                ? $"The suspension of {row.OrgName} is lifted: it may start campaigns again. Its owners were told by mail."
                : $"The suspension of {row.OrgName} is kept. Its owners were told by mail, with your note.";
        }
        await LoadAsync(ct);
    }

    /// <summary>Lifts a suspension or keeps it, with a note to the organisation's owners.</summary>
    public async Task<IActionResult> OnPostReviewAsync([FromForm] long id, [FromForm] string? decision, [FromForm] string? note, CancellationToken ct)
    {
        note = (note ?? "").Trim();
        var suspension = await acceptableUse.Store.GetAsync(id, ct);
        if (suspension is null)
            return NotFoundPage("suspension");
        string? problem = null;
        var status = StatusCodes.Status422UnprocessableEntity;
        if (decision is not ("lift" or "keep"))
            problem = "Choose to lift the suspension or keep it.";
        else if (AdminText.NoteProblem(note, MaxNoteLength) is { } noteProblem)
            problem = noteProblem;
        else if (!await (decision == "lift" ? acceptableUse.LiftAsync(id, Person.Email, note, ct) : acceptableUse.KeepAsync(id, Person.Email, note, ct)))
        {
            problem = $"The suspension of {suspension.OrgName} was lifted already, by {suspension.LiftedBy ?? "someone else"}.";
            status = StatusCodes.Status409Conflict;
        }
        if (problem is not null)
        {
            Error = problem;
            ErrorFor = id;
            Response.StatusCode = status;
            await LoadAsync(ct);
            return Page();
        }
        return LocalRedirect($"/admin/acceptable-use?suspension={id}&decision={decision}");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Open = await acceptableUse.Store.ListAsync(open: true, 1000, ct);
        Lifted = await acceptableUse.Store.ListAsync(open: false, HistoryShown, ct);
        var held = await new ImportStore(db).ListByStatusAsync(ImportStatuses.Held, ct);
        var heldBy = held.GroupBy(j => j.OrgId).ToDictionary(g => g.Key, g => g.Count());
        var open = Open.ToDictionary(s => s.OrgId);
        var figures = await acceptableUse.Store.OrganisationsAsync(Policy.WindowStart(Now()), ct);
        Organisations = figures.Select(f => new OrganisationLine(f, Policy.Evaluate(f.Figures), heldBy.GetValueOrDefault(f.OrgId), open.GetValueOrDefault(f.OrgId))).ToList();
        HeldImports = new HeldImportsView(held, (await SystemData.ListOrganisationsAsync(ct)).ToDictionary(o => o.Id), HeldImportsView.Dashboard);
    }
}
