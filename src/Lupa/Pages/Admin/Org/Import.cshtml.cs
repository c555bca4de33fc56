using Lupa.Admin;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/imports/{id}: one import: its progress, the outcome counts, the purchased-list check, the attestation, and the report.</summary>
public sealed class ImportModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    private readonly ImportStore _imports = new(db);

    /// <summary>The import as stored.</summary>
    public ImportJobRow Job { get; private set; } = null!;

    /// <summary>The names of its lists.</summary>
    public string ListNames { get; private set; } = "";

    /// <summary>Shows the import.</summary>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var job = await _imports.GetAsync(Organisation.Id, id, ct);
        if (job is null)
            return NotFoundPage("import");
        Job = job;
        var lists = await Store.ListListsAsync(ct);
        ListNames = string.Join(", ", job.ListIdArray.Select(l => lists.FirstOrDefault(x => x.Id == l)?.Name ?? "#" + l));
        return Page();
    }

    /// <summary>The report: every row with its line, outcome and reason, as CSV.</summary>
    public async Task<IActionResult> OnGetReportAsync(long id, CancellationToken ct)
    {
        if (await _imports.GetAsync(Organisation.Id, id, ct) is null)
            return NotFoundPage("import");
        await AuditAsync(Lupa.Domain.Privacy.AuditActions.ImportReport, "import:" + id, new { format = "csv" }, ct);
        var orgId = Organisation.Id;
        return new StreamedCsvResult($"import-{id}-report.csv",
            (output, token) => StreamedCsvResult.WriteChunksAsync(output, _imports.ReadReportAsync(orgId, id, token), "row,email,outcome,reason\n", token));
    }
}
