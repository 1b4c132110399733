using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Sessions;
using SecondServer.Infrastructure.Storage;
using SecondServer.Web.Profiles;

namespace SecondServer.Web.Accounts;

/// <summary>Register, sign in and out, the current user, password and profile changes (HTTP API contract).</summary>
internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/account/register", RegisterAsync).WithMetadata(new Csrf.ExemptAttribute());
        app.MapPost("/api/account/login", LoginAsync).WithMetadata(new Csrf.ExemptAttribute());
        app.MapPost("/api/account/logout", LogoutAsync);
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

    private static async Task<IResult> RegisterAsync(RegisterRequest request, AccountService accounts, CancellationToken ct) =>
        await accounts.RegisterAsync(request.Email, request.Password, request.DisplayName, ct) switch
        {
            RegisterResult.Created { Account: var account } => Results.Created("/api/me", new { email = account.Email, displayName = account.DisplayName }),
            RegisterResult.Invalid { Errors: var errors } => ValidationProblem(errors, "The registration is not valid."),
            _ => Results.Problem(title: "An account with this email exists already.", statusCode: StatusCodes.Status409Conflict),
        };

    private static async Task<IResult> LoginAsync(LoginRequest request, HttpContext http, AccountService accounts, ProfileCache profiles,
        SessionSignIn signIn, ObjectStorage storage, CancellationToken ct)
    {
        var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        switch (await accounts.LoginAsync(request.Email, request.Password, address, ct))
        {
            case LoginResult.Invalid { Errors: var errors }:
                return ValidationProblem(errors, "The sign-in request is not valid.");
            case LoginResult.Throttled throttled:
                http.Response.Headers.RetryAfter = Math.Ceiling(throttled.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Results.Problem(title: "Too many failed sign-ins.", detail: "Wait before trying again.", statusCode: StatusCodes.Status429TooManyRequests);
            case LoginResult.Succeeded { Account: var account }:
                await signIn.SignInAsync(http, account.Id, account.Email);
                var profile = await profiles.GetAsync(account.Id, ct);
                return Results.Ok(ToResponse(profile!, storage));
            default:
                return Results.Problem(title: "Invalid email or password.", statusCode: StatusCodes.Status401Unauthorized);
        }
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, SessionSignIn signIn)
    {
        await signIn.SignOutAsync(http);
        return Results.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest request, HttpContext http, AccountService accounts, RedisTicketStore tickets,
        SessionSignIn signIn, CancellationToken ct)
    {
        var accountId = http.User.AccountId();
        if (await accounts.ChangePasswordAsync(accountId, request.CurrentPassword, request.NewPassword, ct) is ChangePasswordResult.Invalid { Errors: var errors })
        {
            return ValidationProblem(errors, "The password change is not valid.");
        }

        // A changed password ends every session of the account, on every replica; this one continues under a new key.
        await tickets.RemoveAllForUserAsync(accountId.ToString(CultureInfo.InvariantCulture), exceptKey: null, ct);
        await signIn.SignInAsync(http, accountId, http.User.FindFirst(System.Security.Claims.ClaimTypes.Email)!.Value);
        return Results.NoContent();
    }

    private static async Task<IResult> MeAsync(HttpContext http, ProfileCache profiles, ObjectStorage storage, CancellationToken ct)
    {
        var profile = await profiles.GetAsync(http.User.AccountId(), ct);
        if (profile is null)
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Problem(title: "The account no longer exists.", statusCode: StatusCodes.Status401Unauthorized);
        }

        Csrf.EnsureToken(http);
        return Results.Ok(ToResponse(profile, storage));
    }

    private static async Task<IResult> UpdateProfileAsync(UpdateProfileRequest request, HttpContext http, AccountService accounts, ProfileCache profiles, ObjectStorage storage, CancellationToken ct)
    {
        var accountId = http.User.AccountId();
        if (await accounts.UpdateDisplayNameAsync(accountId, request.DisplayName, ct) is UpdateDisplayNameResult.Invalid { Errors: var errors })
        {
            return ValidationProblem(errors, "The profile is not valid.");
        }

        return Results.Ok(ToResponse((await profiles.GetAsync(accountId, ct))!, storage));
    }

    private static MeResponse ToResponse(Profile profile, ObjectStorage storage) =>
        new(profile.Email, profile.DisplayName, ProfilePictureEndpoints.UrlFor(profile.PictureKey, storage));

    private static IResult ValidationProblem(IReadOnlyDictionary<string, string> errors, string title) =>
        Results.ValidationProblem(errors.ToDictionary(e => e.Key, e => new[] { e.Value }), title: title);
}
