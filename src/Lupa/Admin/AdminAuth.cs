using System.Globalization;
using System.Security.Claims;
using Lupa.Domain;

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
}
