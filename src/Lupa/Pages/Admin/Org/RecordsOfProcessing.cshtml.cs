using Lupa.Admin;
using Lupa.Privacy;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/privacy/records: the organisation's record of processing activities (GDPR Article 30(1)), generated
/// from its lists, data and settings; ?format=markdown and ?format=json download it.
/// </summary>
public sealed class RecordsOfProcessingModel(SystemStore system, LupaDatabase db, TimeProvider clock, PrivacyRequestService privacy, RecordsOfProcessing records)
    : PrivacyPageModel(system, db, clock, privacy)
{
    /// <summary>The record.</summary>
    public ControllerRecord Record { get; private set; } = null!;

    /// <summary>Shows the record, or downloads it as Markdown or JSON.</summary>
    public async Task<IActionResult> OnGetAsync(string? format, CancellationToken ct)
    {
        Record = await records.ControllerAsync(Organisation, ct);
        return RecordDownload.For(format, $"{Organisation.Slug}-records-of-processing-{Record.GeneratedAt:yyyy-MM-dd}", Record, RecordsMarkdown.Write,
            () => StatusPage(400, "Unknown format", "The record downloads as markdown or json.")) ?? Page();
    }
}
