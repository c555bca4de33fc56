using Lupa.Domain;
using Lupa.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace Lupa.Admin;

/// <summary>What the admin layout shows in its top navigation.</summary>
public sealed record AdminNav(string Email, bool IsOperator, string Role, OrganisationRow? Organisation, SuspensionRow? Suspension = null);

/// <summary>The model of the shared status page (not found, forbidden).</summary>
public sealed record AdminStatus(int StatusCode, string Title, string Message);

/// <summary>
/// Base of every signed-in admin page. On each request it reads the person again, so a disabled
/// person is signed out at once and a changed role takes effect at once, then fills the navigation.
/// </summary>
public abstract class AdminPageModel(SystemStore system, TimeProvider clock) : PageModel
{
    /// <summary>Organisations, people and the mail catcher.</summary>
    protected SystemStore SystemData => system;

    /// <summary>The signed-in person as stored now.</summary>
    public PersonRow Person { get; private set; } = null!;

    /// <summary>The person's role as stored now.</summary>
    public string Role => Person.Role;

    /// <summary>True for the operator, who may act in every organisation.</summary>
    public bool IsOperator => Person.OrgId is null && Person.Role == Roles.Operator;

    /// <summary>The organisation the navigation links to: the page's, or the person's own.</summary>
    protected OrganisationRow? NavOrganisation { get; set; }

    /// <summary>Now, in Unix milliseconds.</summary>
    protected long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The audit trail, where the signed-in person's views and changes of personal data are recorded.</summary>
    protected Lupa.Privacy.AuditTrail Audit => HttpContext.RequestServices.GetRequiredService<Lupa.Privacy.AuditTrail>();

    /// <summary>Records in the audit trail what the signed-in person did (the actor is their login address).</summary>
    protected Task AuditAsync(long? orgId, string action, string subject, object? details, CancellationToken ct) =>
        Audit.RecordAsync(orgId, Person.Email, action, subject, details, ct);

    /// <inheritdoc />
    public sealed override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var ct = HttpContext.RequestAborted;
        var id = User.PersonId();
        var person = id is null ? null : await system.GetPersonAsync(id.Value, ct);
        if (person is null || person.DisabledAt is not null || person.OrgId != User.PersonOrgId())
        {
            await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            context.Result = new RedirectResult("/admin/login");
            return;
        }
        if (person.Role != User.Role() || person.Email != User.Email())
        {
            // The role changed since sign-in: reissue the cookie so claims and the database agree.
            var principal = AdminAuth.PrincipalFor(person);
            await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
            HttpContext.User = principal;
        }
        Person = person;
        var denied = await AuthorizePageAsync(ct);
        if (NavOrganisation is null && person.OrgId is { } own)
            NavOrganisation = await system.GetOrganisationAsync(own, ct);
        // The organisation's people see on every page why its sending is suspended.
        var suspension = NavOrganisation is { } navOrg
            ? await new AcceptableUseStore(HttpContext.RequestServices.GetRequiredService<LupaDatabase>()).OpenAsync(navOrg.Id, ct)
            : null;
        ViewData["AdminNav"] = new AdminNav(person.Email, IsOperator, person.Role, NavOrganisation, suspension);
        if (denied is not null)
        {
            context.Result = denied;
            return;
        }
        await next();
    }

    /// <summary>Page-specific access checks; returns the result to answer with instead of the page, or null.</summary>
    protected virtual Task<IActionResult?> AuthorizePageAsync(CancellationToken ct) => Task.FromResult<IActionResult?>(null);

    /// <summary>A page in the admin layout saying what went wrong, with the status code.</summary>
    protected IActionResult StatusPage(int statusCode, string title, string message)
    {
        ViewData["Title"] = title + " · Lupa";
        return new PartialViewResult
        {
            ViewName = "_AdminStatus",
            ViewData = new ViewDataDictionary<AdminStatus>(ViewData, new AdminStatus(statusCode, title, message)),
            TempData = TempData,
            StatusCode = statusCode,
        };
    }

    /// <summary>404: also what a person gets for another organisation's data, so its existence is not revealed.</summary>
    protected IActionResult NotFoundPage(string what) => StatusPage(404, "Not found", $"There is no such {what}, or you may not see it.");

    /// <summary>403 for an action the person's role does not allow.</summary>
    protected IActionResult ForbiddenPage(string message) => StatusPage(403, "Not allowed", message);
}

/// <summary>
/// Base of every page under /admin/o/{org}: loads the organisation from the route, answers 404 when
/// the signed-in person may not see it, and binds an <see cref="OrganisationStore"/> to it.
/// </summary>
public abstract class OrgPageModel(SystemStore system, LupaDatabase db, TimeProvider clock) : AdminPageModel(system, clock)
{
    /// <summary>The organisation named by the route.</summary>
    public OrganisationRow Organisation { get; private set; } = null!;

    /// <summary>The store bound to <see cref="Organisation"/>.</summary>
    protected OrganisationStore Store { get; private set; } = null!;

    /// <summary>The database, for the other stores bound to <see cref="Organisation"/>.</summary>
    protected LupaDatabase Database => db;

    /// <summary>True when the whole page needs <see cref="Roles.CanAdminister"/> (people, keys, privacy notice).</summary>
    protected virtual bool RequiresAdminister => false;

    /// <summary>Whether the person may change lists and subscribers.</summary>
    public bool CanEdit => Roles.CanEdit(Role);

    /// <summary>Whether the person may manage people, keys and the privacy notice.</summary>
    public bool CanAdminister => Roles.CanAdminister(Role);

    /// <summary>The admin URL of this organisation, with an optional sub-path.</summary>
    public string OrgUrl(string? path = null) => "/admin/o/" + Organisation.Slug + (string.IsNullOrEmpty(path) ? "" : "/" + path);

    /// <inheritdoc />
    protected override async Task<IActionResult?> AuthorizePageAsync(CancellationToken ct)
    {
        var slug = RouteData.Values["org"] as string;
        var org = TextRules.SlugProblem(slug) is null ? await SystemData.FindOrganisationAsync(slug!, ct) : null;
        if (org is null || !User.MaySee(org.Id))
            return NotFoundPage("organisation");
        Organisation = org;
        NavOrganisation = org;
        Store = new OrganisationStore(db, org.Id);
        if (RequiresAdminister && !CanAdminister)
            return ForbiddenPage("This page is for the organisation's owners and admins.");
        return null;
    }

    /// <summary>Records in the audit trail what the signed-in person did with this organisation's personal data.</summary>
    protected Task AuditAsync(string action, string subject, object? details, CancellationToken ct) =>
        AuditAsync(Organisation.Id, action, subject, details, ct);

    /// <summary>Records in the audit trail that the signed-in person was shown these people (by id).</summary>
    protected Task AuditListedAsync(string action, string subject, IReadOnlyCollection<long> ids, object? facts, CancellationToken ct) =>
        Audit.ListedAsync(Organisation.Id, Person.Email, action, subject, ids, facts, ct);

    /// <summary>403 unless the person may edit; null when they may.</summary>
    protected IActionResult? DenyUnlessEdit() => CanEdit ? null : ForbiddenPage("Your role may view but not change this.");

    /// <summary>Marks the response as a refused form (422 by default) and keeps the reason for the page.</summary>
    protected void Refuse(string error, int statusCode = StatusCodes.Status422UnprocessableEntity)
    {
        Error = error;
        Response.StatusCode = statusCode;
    }

    /// <summary>Why the last form was refused, shown above it.</summary>
    public string? Error { get; private set; }
}
