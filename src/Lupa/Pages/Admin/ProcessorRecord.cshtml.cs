using Lupa.Admin;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin;

/// <summary>
/// /admin/processor-record: the operator's record of processing carried out as processor for every organisation
/// (GDPR Article 30(2)); ?format=markdown and ?format=json download it. 404 for anyone but the operator.
/// </summary>
public sealed class ProcessorRecordModel(SystemStore system, TimeProvider clock, RecordsOfProcessing records) : AdminPageModel(system, clock)
{
    /// <summary>The record.</summary>
    public ProcessorRecord Record { get; private set; } = null!;

    /// <inheritdoc />
    protected override Task<IActionResult?> AuthorizePageAsync(CancellationToken ct) =>
        Task.FromResult(IsOperator ? null : NotFoundPage("page"));

    /// <summary>Shows the record, or downloads it.</summary>
    public async Task<IActionResult> OnGetAsync(string? format, CancellationToken ct)
    {
        Record = await records.ProcessorAsync(ct);
        return RecordDownload.For(format, $"lupa-processor-record-{Record.GeneratedAt:yyyy-MM-dd}", Record, RecordsMarkdown.Write,
            () => StatusPage(400, "Unknown format", "The record downloads as markdown or json.")) ?? Page();
    }
}
