using Lupa.Admin;
using Lupa.Security;
using Lupa.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Admin;

/// <summary>/admin/login: email and password; the answer never says which of the two was wrong.</summary>
public sealed class LoginModel(SystemStore system, ILogger<LoginModel> log) : PageModel
{
    private const string Wrong = "Wrong email address or password.";

    /// <summary>The address typed, shown again after a failure.</summary>
    public string Email { get; private set; } = "";

    /// <summary>Why the login failed.</summary>
    public string? Error { get; private set; }

    /// <summary>Where to go after signing in (a local admin path).</summary>
    public string ReturnUrl { get; private set; } = "/admin";

    /// <summary>Shows the form.</summary>
    public void OnGet(string? returnUrl) => ReturnUrl = SafeReturnUrl(returnUrl);

    /// <summary>Checks the password and signs in.</summary>
    public async Task<IActionResult> OnPostAsync([FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl, CancellationToken ct)
    {
        ReturnUrl = SafeReturnUrl(returnUrl);
        Email = (email ?? "").Trim();
        if (Email.Length > 320)
            Email = "";
        password ??= "";
        if (!LoginThrottle.MayTry(Email))
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Error = "Too many failed attempts for this address. Wait ten minutes and try again.";
            return Page();
        }
        var person = Email.Length > 0 ? await system.FindPersonByEmailAsync(Email, ct) : null;
        // Verify even for an unknown address, so the time taken does not tell whether it exists.
        var passwordOk = password.Length is > 0 and <= 1024 && Passwords.Verify(person?.PasswordHash ?? LoginThrottle.DummyHash, password);
        if (person is null || !passwordOk || person.DisabledAt is not null)
        {
            LoginThrottle.Failed(Email);
            log.LogInformation("Admin login refused for person {PersonId}", person?.Id);
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Error = Wrong;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, AdminAuth.PrincipalFor(person),
            new AuthenticationProperties { IsPersistent = false });
        log.LogInformation("Admin login of person {PersonId}", person.Id);
        return LocalRedirect(ReturnUrl);
    }

    private string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && Url.IsLocalUrl(url) && url.StartsWith("/admin", StringComparison.OrdinalIgnoreCase)
            && !url.StartsWith("/admin/login", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("/admin/logout", StringComparison.OrdinalIgnoreCase)
            ? url : "/admin";
}
