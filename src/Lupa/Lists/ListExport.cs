using Lupa.Domain;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lupa.Storage;

namespace Lupa.Lists;

/// <summary>
/// Writes a list's confirmed subscribers as CSV for the organisation's own use, page by page (memory does
/// not grow with the list), leaving out restricted people, and records the export in the audit trail.
/// </summary>
public sealed class ListExport(LupaDatabase db, TimeProvider clock)
{
    /// <summary>The CSV header.</summary>
    public const string Header = "email,name,language,subscribed_at,attributes";

    /// <summary>Writes the CSV to <paramref name="output"/>; returns the number of people written.</summary>
    public async Task<long> WriteAsync(long orgId, ListRow list, Stream output, string actor, IProgress<long>? progress, CancellationToken ct)
    {
        var store = new OrganisationStore(db, orgId);
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        await writer.WriteLineAsync(Header);
        long after = 0, count = 0;
        while (true)
        {
            var page = await store.ExportPageAsync(list.Id, after, 5000, ct);
            if (page.Count == 0)
                break;
            foreach (var r in page)
            {
                var subscribed = r.ConfirmedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "";
                await writer.WriteLineAsync($"{CsvText.Field(r.Email)},{CsvText.Field(r.Name)},{r.Language},{subscribed},{CsvText.Field(r.Attributes == "{}" ? "" : r.Attributes)}");
                after = r.Id;
                count++;
            }
            progress?.Report(count);
        }
        await writer.FlushAsync(ct);
        await new AuditStore(db).AppendAsync(orgId, actor, "export", $"list:{list.Id}",
            JsonSerializer.Serialize(new { list = list.Slug, rows = count, format = "csv" }), clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
        return count;
    }

}
