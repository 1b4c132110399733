using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

/// <summary>The server-rendered pages: routes, who may see them, their error pages and their session.</summary>
internal static class PagesRegistration
{
    public static IServiceCollection AddPages(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizePage("/Profile");
            o.Conventions.AuthorizePage("/Reports");
            o.Conventions.AuthorizeFolder("/Admin", AuthorizationPolicies.Admin);
        }).AddSessionStateTempDataProvider();
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
