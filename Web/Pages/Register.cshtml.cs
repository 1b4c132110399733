using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Application.Accounts;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

internal sealed class RegisterModel(AccountService accounts, SessionSignIn signIn) : PageModel
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public Dictionary<string, string> Errors { get; } = [];

    public string? Problem { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        foreach (var (field, error) in new[] { ("email", AccountRules.EmailError(Email)), ("displayName", AccountRules.DisplayNameError(DisplayName)), ("password", AccountRules.PasswordError(Password)) })
        {
            if (error is not null)
            {
                Errors[field] = error;
            }
        }

        if (Errors.Count > 0)
        {
            return Page();
        }

        var account = await accounts.RegisterAsync(Email!, Password!, DisplayName!, ct);
        if (account is null)
        {
            Errors["email"] = "An account with this email exists already.";
            return Page();
        }

        await signIn.SignInAsync(HttpContext, account.Id, account.Email);
        TempData["Flash"] = $"Welcome, {account.DisplayName}.";
        return Redirect("/profile");
    }
}
