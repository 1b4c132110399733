using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Application.Accounts;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

internal sealed class LoginModel(AccountService accounts, SessionSignIn signIn) : PageModel
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Problem { get; private set; }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        switch (await accounts.LoginAsync(Email, Password, HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown", ct))
        {
            case LoginResult.Invalid:
                Problem = "Enter your email and password.";
                return Page();
            case LoginResult.Succeeded { Account: var account }:
                await signIn.SignInAsync(HttpContext, account.Id, account.Email);
                return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/profile");
            case LoginResult.Throttled throttled:
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Response.Headers.RetryAfter = Math.Ceiling(throttled.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                Problem = $"Too many failed sign-ins. Try again in {Math.Ceiling(throttled.RetryAfter.TotalMinutes)} minute(s).";
                return Page();
            default:
                Problem = "Invalid email or password.";
                return Page();
        }
    }
}
