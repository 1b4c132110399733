using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Web.Accounts;
using SecondServer.Web.Hardening;

namespace SecondServer.Web.Pages;

/// <summary>The server-rendered pages: routes, who may see them, their error pages and their session.</summary>
internal static class PagesRegistration
{
    public static IServiceCollection AddPages(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizePage("/Profile");
            // A report lists every account: administrators only, like its API.
            o.Conventions.AuthorizePage("/Reports", AuthorizationPolicies.Admin);
            o.Conventions.AuthorizeFolder("/Admin", AuthorizationPolicies.Admin);
        }).AddSessionStateTempDataProvider();
        // The profile page's picture form takes what the picture API takes; every other form, the default limit.
        services.AddOptions<RazorPagesOptions>().Configure<IServiceProvider>((o, provider) =>
            o.Conventions.AddPageApplicationModelConvention("/Profile", page => page.EndpointMetadata.Add(RequestLimits.PictureUploadLimit(provider))));
        // Flash messages live in the ASP.NET Core session, which lives in the shared cache (Redis): a message set
        // by the replica that handled a form is shown by whichever replica renders the next page.
        services.AddSession(o =>
        {
            o.Cookie.Name = "ss_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.IsEssential = true;
            o.IdleTimeout = TimeSpan.FromMinutes(20);
        });
        return services;
    }

    /// <summary>For page requests: HTML error pages, and the session loaded asynchronously before anything reads it.</summary>
    public static WebApplication UsePages(this WebApplication app)
    {
        app.UseWhen(IsPageRequest, pages =>
        {
            pages.UseStatusCodePagesWithReExecute("/status/{0}");
            pages.UseSession();
            // The shared cache is async only: load the session once here so page code can read it synchronously.
            pages.Use(async (context, next) =>
            {
                await context.Session.LoadAsync(context.RequestAborted);
                await next(context);
            });
        });
        app.UseWhen(context => !IsPageRequest(context), api => api.UseStatusCodePages());
        return app;
    }

    public static bool IsPageRequest(HttpContext context) => IsPagePath(context.Request.Path);

    /// <summary>Everything but the JSON API, the health endpoints and internal endpoints is a page.</summary>
    public static bool IsPagePath(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments("/health") && !path.StartsWithSegments("/internal");
}
