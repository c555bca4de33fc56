using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lupa.Pages.Admin;

/// <summary>/admin/logout: a POST signs out (a GET only shows the button, so a link cannot log anyone out).</summary>
public sealed class LogoutModel : PageModel
{
    /// <summary>Shows the button.</summary>
    public void OnGet()
    {
    }

    /// <summary>Signs out.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return LocalRedirect("/admin/login");
    }
}
