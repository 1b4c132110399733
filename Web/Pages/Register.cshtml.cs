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

    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();

    public string? Problem { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        switch (await accounts.RegisterAsync(Email, Password, DisplayName, ct))
        {
            case RegisterResult.Created { Account: var account }:
                await signIn.SignInAsync(HttpContext, account.Id, account.Email);
                TempData["Flash"] = $"Welcome, {account.DisplayName}.";
                return Redirect("/profile");
            case RegisterResult.Invalid { Errors: var errors }:
                Errors = errors;
                return Page();
            default:
                Errors = new Dictionary<string, string> { ["email"] = "An account with this email exists already." };
                return Page();
        }
    }
}
