using Lupa.Admin;
using Lupa.Api;
using Lupa.Campaigns;
using Lupa.Hosting;
using Lupa.Mail.Dkim;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Lupa.Pages.Admin.Org;

/// <summary>
/// /admin/o/{org}/sender-domains: the domains campaigns are sent from, each with its DKIM key's DNS
/// record to publish. Everyone reads it; owners and admins add and remove domains.
/// </summary>
public sealed class SenderDomainsModel(SystemStore system, LupaDatabase db, TimeProvider clock, CampaignService campaigns, IOptions<LupaOptions> options)
    : OrgPageModel(system, db, clock)
{
    /// <summary>The domains with their DNS records.</summary>
    public IReadOnlyList<SenderDomainDto> Domains { get; private set; } = [];

    /// <summary>The domain typed in the add form.</summary>
    public string Domain { get; private set; } = "";

    /// <summary>The algorithm chosen in the add form.</summary>
    public string Algorithm { get; private set; } = DkimKey.RsaSha256;

    /// <summary>What the last change did.</summary>
    public string? Notice { get; private set; }

    /// <summary>The domain just added, whose record the page points at.</summary>
    public string? Added { get; private set; }

    /// <summary>Shows the domains.</summary>
    public async Task OnGetAsync(string? added, string? removed, CancellationToken ct)
    {
        Added = added;
        if (added is not null)
            Notice = $"{added} added. Publish its DNS record below so that mailbox providers can verify the signatures.";
        else if (removed is not null)
            Notice = $"{removed} removed, with its key.";
        await LoadAsync(ct);
    }

    /// <summary>Adds a domain and generates its key.</summary>
    public async Task<IActionResult> OnPostAddAsync([FromForm] string? domain, [FromForm] string? algorithm, CancellationToken ct)
    {
        if (!CanAdminister)
            return ForbiddenPage("Owners and admins add and remove sender domains.");
        Domain = (domain ?? "").Trim();
        Algorithm = algorithm ?? "";
        var (row, problem, status) = await SendingApi.AddDomainAsync(campaigns.For(Organisation.Id), domain, algorithm, options.Value.Campaigns.DkimSelector, Now(), ct);
        if (problem is null)
            return LocalRedirect(OrgUrl("sender-domains") + "?added=" + Uri.EscapeDataString(row!.Domain));
        Refuse(AdminText.Sentence(problem.Field == "algorithm" ? "the algorithm " + problem.Message : problem.Message), status);
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Removes a domain and its key.</summary>
    public async Task<IActionResult> OnPostRemoveAsync([FromForm] string? domain, CancellationToken ct)
    {
        if (!CanAdminister)
            return ForbiddenPage("Owners and admins add and remove sender domains.");
        var name = (domain ?? "").Trim().ToLowerInvariant();
        if (!await campaigns.For(Organisation.Id).RemoveSenderDomainAsync(name, ct))
            return NotFoundPage("sender domain");
        return LocalRedirect(OrgUrl("sender-domains") + "?removed=" + Uri.EscapeDataString(name));
    }

    private async Task LoadAsync(CancellationToken ct) =>
        Domains = (await campaigns.For(Organisation.Id).ListSenderDomainsAsync(ct)).Select(SendingApi.ToDto).ToList();
}
