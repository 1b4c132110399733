using Microsoft.AspNetCore.Antiforgery;

namespace SecondServer.Web.Accounts;

/// <summary>
/// The SPA double-submit convention (contract): a JS-readable <c>XSRF-TOKEN</c> cookie, echoed in the
/// <c>X-XSRF-TOKEN</c> header on every unsafe request under /api. Tokens come from ASP.NET Core antiforgery and
/// the shared key ring, so a token issued by one replica validates on every replica.
/// </summary>
internal static class Csrf
{
    /// <summary>Marks an endpoint that needs no token (register and login: there is no session to forge yet).</summary>
    public sealed class ExemptAttribute : Attribute;

    /// <summary>
    /// Issues a token unless the browser holds one already. Sign-in issues one for the account and sign-out deletes
    /// it, so a browser that has both cookies holds this account's token: minting one on every read would cost two
    /// Data Protection operations and a Set-Cookie per request for nothing.
    /// </summary>
    public static void EnsureToken(HttpContext context)
    {
        var cookies = context.Request.Cookies;
        if (!cookies.ContainsKey(SessionAuthentication.XsrfCookieName) || !cookies.ContainsKey(SessionAuthentication.AntiforgeryCookieName))
        {
            IssueToken(context);
        }
    }

    /// <summary>Issues a request token for the current user in the XSRF-TOKEN cookie.</summary>
    public static void IssueToken(HttpContext context)
    {
        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        var tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.Cookies.Append(SessionAuthentication.XsrfCookieName, tokens.RequestToken!, new CookieOptions
        {
            HttpOnly = false,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
    }

    /// <summary>Rejects an unsafe request under /api without a valid token with 400 problem+json.</summary>
    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var method = context.Request.Method;
        // Only a routed handler can change anything: no endpoint (404) and routing's own rejections (405, 415, which
        // carry none of the handler's metadata, its exemption included) answer as they are.
        if (!context.Request.Path.StartsWithSegments("/api") || HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<ExemptAttribute>() is not null)
        {
            await next(context);
            return;
        }

        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            await Results.Problem(
                title: "Missing or invalid CSRF token.",
                detail: $"Send the value of the {SessionAuthentication.XsrfCookieName} cookie in the {SessionAuthentication.XsrfHeaderName} header.",
                statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }

        await next(context);
    });
}
