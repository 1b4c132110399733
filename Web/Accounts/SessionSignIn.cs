using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Web.Accounts;

/// <summary>Signs an account in and out, the same way for the JSON API and the pages.</summary>
internal sealed class SessionSignIn(IOptions<AdminOptions> admins, IOptions<SessionLifetimeOptions> sessions, TimeProvider time, IAuthenticationSchemeProvider schemes)
{
    public async Task SignInAsync(HttpContext http, long accountId, string email)
    {
        // Ends this browser's previous session (its ticket leaves Redis) and stops the request's handler from
        // refreshing the old cookie on the way out.
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);

        var principal = SessionAuthentication.PrincipalFor(accountId, email, admins);
        var properties = new AuthenticationProperties { IsPersistent = false };
        properties.Items[RedisTicketStore.AbsoluteExpiryItem] = (time.GetUtcNow() + sessions.Value.AbsoluteTimeout).ToString("O", CultureInfo.InvariantCulture);

        // The cookie handler of this request remembers the session key it authenticated with and, on sign-in,
        // renews that key instead of storing a new one. A new handler instance knows no key (the old session is
        // gone from the store), so the sign-in gets a fresh key: no session fixation.
        var fresh = await new AuthenticationHandlerProvider(schemes).GetHandlerAsync(http, CookieAuthenticationDefaults.AuthenticationScheme) as IAuthenticationSignInHandler
            ?? throw new InvalidOperationException("The cookie scheme cannot sign in.");
        await fresh.SignInAsync(principal, properties);

        // The antiforgery token is bound to the user: issue it for the one just signed in.
        http.User = principal;
        Csrf.IssueToken(http);
    }

    /// <summary>Deletes the ticket from Redis: the cookie is void on every replica, also for anyone replaying it.</summary>
    public async Task SignOutAsync(HttpContext http)
    {
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        http.Response.Cookies.Delete(SessionAuthentication.XsrfCookieName);
    }
}
