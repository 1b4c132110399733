using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Web.Accounts;

/// <summary>Register, sign in and out, the current user, password and profile changes (HTTP API contract).</summary>
internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/account/register", RegisterAsync).WithMetadata(new Csrf.ExemptAttribute());
        app.MapPost("/api/account/login", LoginAsync).WithMetadata(new Csrf.ExemptAttribute());
        app.MapPost("/api/account/logout", (Delegate)LogoutAsync);
        app.MapPost("/api/account/password", ChangePasswordAsync).RequireAuthorization();
        app.MapGet("/api/me", MeAsync).RequireAuthorization();
        app.MapPut("/api/profile", UpdateProfileAsync).RequireAuthorization();
        return app;
    }

    internal sealed record RegisterRequest(string? Email, string? Password, string? DisplayName);

    internal sealed record LoginRequest(string? Email, string? Password);

    internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

    internal sealed record UpdateProfileRequest(string? DisplayName);

    internal sealed record MeResponse(string Email, string DisplayName, string? PictureUrl);

    private static async Task<IResult> RegisterAsync(RegisterRequest request, AccountService accounts, CancellationToken ct)
    {
        var errors = Errors(("email", AccountRules.EmailError(request.Email)), ("password", AccountRules.PasswordError(request.Password)), ("displayName", AccountRules.DisplayNameError(request.DisplayName)));
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The registration is not valid.");
        }

        var account = await accounts.RegisterAsync(request.Email!, request.Password!, request.DisplayName!, ct);
        return account is null
            ? Results.Problem(title: "An account with this email exists already.", statusCode: StatusCodes.Status409Conflict)
            : Results.Created("/api/me", new { email = account.Email, displayName = account.DisplayName });
    }

    private static async Task<IResult> LoginAsync(LoginRequest request, HttpContext http, AccountService accounts, ProfileCache profiles,
        IOptions<AdminOptions> admins, IOptions<SessionLifetimeOptions> sessions, TimeProvider time, CancellationToken ct)
    {
        var errors = Errors(
            ("email", string.IsNullOrWhiteSpace(request.Email) ? "Email is required." : request.Email.Length > AccountRules.MaxEmailLength ? "Email is too long." : null),
            ("password", AccountRules.PasswordError(request.Password) is { } e && request.Password is null or "" or { Length: > AccountRules.MaxPasswordLength } ? e : null));
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The sign-in request is not valid.");
        }

        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        switch (await accounts.LoginAsync(request.Email!, request.Password!, address, ct))
        {
            case LoginResult.Throttled throttled:
                http.Response.Headers.RetryAfter = Math.Ceiling(throttled.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Results.Problem(title: "Too many failed sign-ins.", detail: "Wait before trying again.", statusCode: StatusCodes.Status429TooManyRequests);
            case LoginResult.Succeeded { Account: var account }:
                await SignInAsync(http, account.Id, account.Email, admins, sessions, time);
                var profile = await profiles.GetAsync(account.Id, ct);
                return Results.Ok(ToResponse(profile!));
            default:
                return Results.Problem(title: "Invalid email or password.", statusCode: StatusCodes.Status401Unauthorized);
        }
    }

    private static async Task<IResult> LogoutAsync(HttpContext http)
    {
        // Deletes the ticket from Redis: the cookie is void on every replica, also for anyone replaying it.
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        http.Response.Cookies.Delete(SessionAuthentication.XsrfCookieName);
        return Results.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest request, HttpContext http, AccountService accounts, RedisTicketStore tickets,
        IOptions<AdminOptions> admins, IOptions<SessionLifetimeOptions> sessions, TimeProvider time, CancellationToken ct)
    {
        var errors = Errors(("currentPassword", string.IsNullOrEmpty(request.CurrentPassword) ? "The current password is required." : null), ("newPassword", AccountRules.PasswordError(request.NewPassword)));
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The password change is not valid.");
        }

        var accountId = http.User.AccountId();
        if (!await accounts.ChangePasswordAsync(accountId, request.CurrentPassword!, request.NewPassword!, ct))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["currentPassword"] = ["The current password is wrong."] }, title: "The password change is not valid.");
        }

        // A changed password ends every session of the account, on every replica; this one continues under a new key.
        await tickets.RemoveAllForUserAsync(accountId.ToString(CultureInfo.InvariantCulture), exceptKey: null, ct);
        await SignInAsync(http, accountId, http.User.FindFirst(System.Security.Claims.ClaimTypes.Email)!.Value, admins, sessions, time);
        return Results.NoContent();
    }

    private static async Task<IResult> MeAsync(HttpContext http, ProfileCache profiles, CancellationToken ct)
    {
        var profile = await profiles.GetAsync(http.User.AccountId(), ct);
        if (profile is null)
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Problem(title: "The account no longer exists.", statusCode: StatusCodes.Status401Unauthorized);
        }

        Csrf.IssueToken(http);
        return Results.Ok(ToResponse(profile));
    }

    private static async Task<IResult> UpdateProfileAsync(UpdateProfileRequest request, HttpContext http, AccountService accounts, ProfileCache profiles, CancellationToken ct)
    {
        if (AccountRules.DisplayNameError(request.DisplayName) is { } error)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["displayName"] = [error] }, title: "The profile is not valid.");
        }

        var accountId = http.User.AccountId();
        await accounts.UpdateDisplayNameAsync(accountId, request.DisplayName!, ct);
        return Results.Ok(ToResponse((await profiles.GetAsync(accountId, ct))!));
    }

    private static async Task SignInAsync(HttpContext http, long accountId, string email, IOptions<AdminOptions> admins, IOptions<SessionLifetimeOptions> sessions, TimeProvider time)
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
        var fresh = await new AuthenticationHandlerProvider(http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>())
            .GetHandlerAsync(http, CookieAuthenticationDefaults.AuthenticationScheme) as IAuthenticationSignInHandler
            ?? throw new InvalidOperationException("The cookie scheme cannot sign in.");
        await fresh.SignInAsync(principal, properties);

        // The antiforgery token is bound to the user: issue it for the one just signed in.
        http.User = principal;
        Csrf.IssueToken(http);
    }

    private static MeResponse ToResponse(Profile profile) =>
        new(profile.Email, profile.DisplayName, profile.PictureKey is null ? null : "/api/profile/picture");

    private static Dictionary<string, string[]> Errors(params (string Field, string? Error)[] checks) =>
        checks.Where(c => c.Error is not null).ToDictionary(c => c.Field, c => new[] { c.Error! });
}
