using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Web.Accounts;

/// <summary>Who may be an administrator: accounts whose email is in <c>Admin:Emails</c>.</summary>
internal sealed class AdminOptions
{
    public const string Section = "Admin";

    public IList<string> Emails { get; } = [];
}

/// <summary>
/// Cookie authentication whose ticket lives in Redis (see RedisTicketStore): the cookie holds an opaque key,
/// protected by the shared key ring, so any replica can read it and a sign-out anywhere ends it everywhere.
/// </summary>
internal static class SessionAuthentication
{
    public const string CookieName = "ss_auth";
    public const string XsrfCookieName = "XSRF-TOKEN";
    public const string XsrfHeaderName = "X-XSRF-TOKEN";
    public const string AntiforgeryCookieName = "ss_antiforgery";

    public static IServiceCollection AddSessionAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section));
        services.AddSingleton<SessionSignIn>();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            // Secure whenever the client's request was HTTPS, which behind the balancer the forwarded headers tell.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.AccessDeniedPath = "/status/403";
            o.Events = new CookieAuthenticationEvents
            {
                OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized),
                OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden),
                OnValidatePrincipal = EndAtAbsoluteExpiryAsync,
            };
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<ITicketStore, IOptions<SessionLifetimeOptions>, TimeProvider>((o, store, sessions, time) =>
            {
                o.SessionStore = store;
                o.ExpireTimeSpan = sessions.Value.IdleTimeout;
                o.TimeProvider = time;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthorizationPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = XsrfHeaderName;
            o.Cookie.Name = AntiforgeryCookieName;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>The principal of a signed-in account.</summary>
    public static ClaimsPrincipal PrincipalFor(long accountId, string email, IOptions<AdminOptions> admins)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, accountId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ClaimTypes.Email, email),
        };
        if (admins.Value.Emails.Any(a => string.Equals(a.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase)))
        {
            claims.Add(new Claim(ClaimTypes.Role, Roles.Admin));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static long AccountId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!, System.Globalization.CultureInfo.InvariantCulture);

    private static Task ApiAwareRedirect(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static async Task EndAtAbsoluteExpiryAsync(CookieValidatePrincipalContext context)
    {
        var end = RedisTicketStore.AbsoluteExpiryOf(context.Properties);
        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        if (end is not null && now >= end)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    private static class Roles
    {
        public const string Admin = "admin";
    }
}
