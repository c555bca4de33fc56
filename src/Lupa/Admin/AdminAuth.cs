using System.Globalization;
using System.Security.Claims;
using Lupa.Domain;
using Lupa.Storage;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Lupa.Admin;

/// <summary>The signed-in person of the admin UI.</summary>
public static class AdminAuth
{
    /// <summary>The policy every admin page requires.</summary>
    public const string Policy = "admin";

    /// <summary>Claim: the person's id.</summary>
    public const string PersonClaim = "lupa:person";

    /// <summary>Claim: the person's organisation id (absent for the operator).</summary>
    public const string OrgClaim = "lupa:org";

    /// <summary>Claim: the role.</summary>
    public const string RoleClaim = "lupa:role";

    /// <summary>True for the operator.</summary>
    public static bool IsOperator(this ClaimsPrincipal user) => user.FindFirstValue(RoleClaim) == Roles.Operator;

    /// <summary>The person's role.</summary>
    public static string Role(this ClaimsPrincipal user) => user.FindFirstValue(RoleClaim) ?? Roles.Viewer;

    /// <summary>The person's organisation, or null for the operator.</summary>
    public static long? PersonOrgId(this ClaimsPrincipal user) =>
        user.FindFirstValue(OrgClaim) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>Whether the person may see the organisation.</summary>
    public static bool MaySee(this ClaimsPrincipal user, long orgId) => user.IsOperator() || user.PersonOrgId() == orgId;

    /// <summary>The signed-in person's id, or null.</summary>
    public static long? PersonId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(PersonClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    /// <summary>The signed-in person's login address.</summary>
    public static string Email(this ClaimsPrincipal user) => user.Identity?.Name ?? "";

    /// <summary>The cookie principal for a person: id, organisation (not for the operator), role and address.</summary>
    public static ClaimsPrincipal PrincipalFor(PersonRow person)
    {
        var claims = new List<Claim>
        {
            new(PersonClaim, person.Id.ToString(CultureInfo.InvariantCulture)),
            new(RoleClaim, person.Role),
            new(ClaimTypes.Name, person.Email),
        };
        if (person.OrgId is { } org)
            claims.Add(new Claim(OrgClaim, org.ToString(CultureInfo.InvariantCulture)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, RoleClaim));
    }
}
