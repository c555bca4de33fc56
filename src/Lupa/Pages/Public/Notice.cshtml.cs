using System.Globalization;
using Lupa.Domain;
using Lupa.Storage;
using Lupa.Subscriptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Public;

/// <summary>An organisation's privacy notice (Article 13), the current or a given version.</summary>
public sealed class NoticeModel(SystemStore system, SubscriptionService subscriptions) : PageModel
{
    public PrivacyNoticeContent? Notice { get; private set; }
    public int Version { get; private set; }
    public string Published { get; private set; } = "";
    public IReadOnlyList<ListRow> Lists { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string org, int? version, CancellationToken ct)
    {
        var o = TextRules.SlugProblem(org) is null ? await system.FindOrganisationAsync(org, ct) : null;
        var row = o is null ? null : await subscriptions.For(o.Id).GetPrivacyNoticeAsync(version, ct);
        if (row is null)
        {
            Response.StatusCode = 404;
            return Page();
        }
        Notice = PrivacyNoticeContent.FromJson(row.Content);
        Version = row.Version;
        Published = DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Lists = await subscriptions.For(o!.Id).ListListsAsync(ct);
        return Page();
    }
}
