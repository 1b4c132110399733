using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

internal sealed class LogoutModel(SessionSignIn signIn) : PageModel
{
    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync(HttpContext);
        TempData["Flash"] = "You are signed out, on every replica.";
        return Redirect("/");
    }
}
