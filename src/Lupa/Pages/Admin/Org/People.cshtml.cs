using Lupa.Admin;
using Lupa.Domain;
using Lupa.Security;
using Lupa.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Lupa.Pages.Admin.Org;

/// <summary>/admin/o/{org}/people: who may log in, with which role; owners and admins only.</summary>
public sealed class PeopleModel(SystemStore system, LupaDatabase db, TimeProvider clock) : OrgPageModel(system, db, clock)
{
    /// <inheritdoc />
    protected override bool RequiresAdminister => true;

    /// <summary>The organisation's people.</summary>
    public IReadOnlyList<PersonRow> People { get; private set; } = [];

    /// <summary>The address of the person just added.</summary>
    public string? AddedEmail { get; private set; }

    /// <summary>Their generated password, shown once.</summary>
    public string? AddedPassword { get; private set; }

    /// <summary>What the last change did.</summary>
    public string? Notice { get; private set; }

    /// <summary>The address typed in the add form.</summary>
    public string Email { get; private set; } = "";

    /// <summary>The name typed in the add form.</summary>
    public string Name { get; private set; } = "";

    /// <summary>The role chosen in the add form.</summary>
    public string NewRole { get; private set; } = Roles.Marketer;

    private bool MayManageOwners => Role is Roles.Owner or Roles.Operator;

    /// <summary>Shows the people.</summary>
    public async Task OnGetAsync(CancellationToken ct) => People = await Store.ListPeopleAsync(ct);

    /// <summary>Adds a person with a generated password.</summary>
    public async Task<IActionResult> OnPostAddAsync([FromForm] string? email, [FromForm] string? name, [FromForm] string? role, CancellationToken ct)
    {
        Email = (email ?? "").Trim();
        Name = (name ?? "").Trim();
        NewRole = role ?? "";
        var address = EmailAddress.Parse(Email);
        if (!address.IsOk)
            Refuse("Email: " + address.Reason);
        else if (AdminText.NameProblem(Name) is { } np)
            Refuse(AdminText.Sentence("name " + np));
        else if (!Roles.OrganisationRoles.Contains(NewRole))
            Refuse("Choose one of the roles.");
        else if (NewRole == Roles.Owner && !MayManageOwners)
            Refuse("Only an owner can make someone an owner.", StatusCodes.Status403Forbidden);
        else
        {
            var password = Passwords.Generate();
            var added = await Store.AddPersonAsync(new PersonToCreate(address.Value!.Value, Name, NewRole, Passwords.Hash(password)), Now(), ct);
            if (added)
            {
                AddedEmail = address.Value.Value;
                AddedPassword = password;
                Email = Name = "";
                NewRole = Roles.Marketer;
            }
            else
                Refuse("A person with that address already has an account.", StatusCodes.Status409Conflict);
        }
        People = await Store.ListPeopleAsync(ct);
        return Page();
    }

    /// <summary>Changes a person's role, or disables or enables them.</summary>
    public async Task<IActionResult> OnPostUpdateAsync([FromForm] long personId, [FromForm] string? role, [FromForm] bool disabled, CancellationToken ct)
    {
        People = await Store.ListPeopleAsync(ct);
        var target = People.FirstOrDefault(p => p.Id == personId);
        if (target is null)
            return NotFoundPage("person");
        role ??= "";
        var owners = People.Count(p => p.Role == Roles.Owner && p.DisabledAt is null);
        var staysOwner = role == Roles.Owner && !disabled;
        if (!Roles.OrganisationRoles.Contains(role))
            Refuse("Choose one of the roles.");
        else if (target.Id == Person.Id)
            Refuse("You cannot change your own role or disable yourself; ask another owner.");
        else if ((target.Role == Roles.Owner || role == Roles.Owner) && target.Role != role && !MayManageOwners)
            Refuse("Only an owner can give or take the owner role.", StatusCodes.Status403Forbidden);
        else if (target.Role == Roles.Owner && target.DisabledAt is null && !staysOwner && owners <= 1)
            Refuse("The organisation must keep at least one active owner.", StatusCodes.Status409Conflict);
        else if (target.Role == Roles.Owner && disabled && target.DisabledAt is null && !MayManageOwners)
            Refuse("Only an owner can disable an owner.", StatusCodes.Status403Forbidden);
        else
        {
            await Store.UpdatePersonAsync(personId, role, disabled, Now(), ct);
            Notice = $"Saved {target.Email}: {AdminText.RoleName(role)}, {(disabled ? "disabled" : "active")}.";
            People = await Store.ListPeopleAsync(ct);
        }
        return Page();
    }
}
