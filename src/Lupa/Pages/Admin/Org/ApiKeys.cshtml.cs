using Lupa.Admin;
using Lupa.Security;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/api-keys: create (shown once) and revoke keys; owners and admins only.</summary>
public sealed class ApiKeysModel(SystemStore system, LupaDatabase db, TimeProvider clock, ILogger<ApiKeysModel> log) : OrgPageModel(system, db, clock)
{
    /// <inheritdoc />
    protected override bool RequiresAdminister => true;

    /// <summary>The organisation's keys (never the keys themselves).</summary>
    public IReadOnlyList<ApiKeyRow> Keys { get; private set; } = [];

    /// <summary>The key just created, shown once.</summary>
    public string? CreatedKey { get; private set; }

    /// <summary>Its name.</summary>
    public string? CreatedName { get; private set; }

    /// <summary>What the last action did.</summary>
    public string? Notice { get; private set; }

    /// <summary>The name typed.</summary>
    public string Name { get; private set; } = "";

    /// <summary>Shows the keys.</summary>
    public async Task OnGetAsync(CancellationToken ct) => Keys = await Store.ListApiKeysAsync(ct);

    /// <summary>Creates a key.</summary>
    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? name, CancellationToken ct)
    {
        Name = (name ?? "").Trim();
        if (AdminText.NameProblem(Name, 100) is { } np)
            Refuse(AdminText.Sentence("name " + np));
        else
        {
            var (key, prefix, hash) = ApiKeys.Create();
            var id = await Store.AddApiKeyAsync(Name, prefix, hash, Now(), ct);
            log.LogInformation("API key {KeyId} created in organisation {OrgId} by person {PersonId}", id, Organisation.Id, Person.Id);
            CreatedKey = key;
            CreatedName = Name;
            Name = "";
        }
        Keys = await Store.ListApiKeysAsync(ct);
        return Page();
    }

    /// <summary>Revokes a key.</summary>
    public async Task<IActionResult> OnPostRevokeAsync([FromForm] long keyId, CancellationToken ct)
    {
        if (await Store.RevokeApiKeyAsync(keyId, Now(), ct))
        {
            log.LogInformation("API key {KeyId} revoked in organisation {OrgId} by person {PersonId}", keyId, Organisation.Id, Person.Id);
            Notice = "The key is revoked; requests with it are refused from now on.";
        }
        else
            Refuse("No such key, or it is already revoked.", StatusCodes.Status404NotFound);
        Keys = await Store.ListApiKeysAsync(ct);
        return Page();
    }
}
