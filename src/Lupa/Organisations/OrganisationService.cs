using Lupa.Domain;
using Lupa.Security;
using Lupa.Storage;

namespace Lupa.Organisations;

/// <summary>What creating an organisation hands back once: the key and the owner's first password.</summary>
public sealed record CreatedOrganisation(long OrgId, string Slug, string ApiKey, string OwnerEmail, string OwnerPassword);

/// <summary>Creates organisations with their owner, first API key and first privacy notice.</summary>
public sealed class OrganisationService(LupaDatabase db, TimeProvider clock)
{
    /// <summary>Creates an organisation, or says which field is wrong.</summary>
    public async Task<Outcome<CreatedOrganisation>> CreateAsync(string? name, string? slug, string? ownerEmail, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name))
            return Outcome<CreatedOrganisation>.Fail("name", "name is required");
        name = name.Trim();
        if (TextRules.NameProblem(name, 200) is { } np)
            return Outcome<CreatedOrganisation>.Fail("name", "name " + np);
        if (TextRules.SlugProblem(slug) is { } sp)
            return Outcome<CreatedOrganisation>.Fail("slug", "slug " + sp);
        var email = EmailAddress.Parse(ownerEmail);
        if (!email.IsOk)
            return Outcome<CreatedOrganisation>.Fail("ownerEmail", "owner email: " + email.Reason);
        var system = new SystemStore(db);
        if (await system.OrganisationSlugExistsAsync(slug!, ct))
            return Outcome<CreatedOrganisation>.Fail("slug", $"an organisation with slug '{slug}' exists");
        if (await system.FindPersonByEmailAsync(email.Value!.Value, ct) is not null)
            return Outcome<CreatedOrganisation>.Fail("ownerEmail", "a person with that address already has an account");
        var (key, prefix, hash) = ApiKeys.Create();
        var password = Passwords.Generate();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var orgId = await system.CreateOrganisationAsync(slug!, name,
            new PersonToCreate(email.Value.Value, "Owner", Roles.Owner, Passwords.Hash(password)), prefix, hash, now, ct);
        await new OrganisationStore(db, orgId).AddPrivacyNoticeAsync(
            PrivacyNoticeContent.DefaultFor(name, email.Value.Value).ToJson(), "system", now, ct);
        return Outcome<CreatedOrganisation>.Ok(new CreatedOrganisation(orgId, slug!, key, email.Value.Value, password));
    }
}
