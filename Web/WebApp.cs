using SecondServer.Application;
using SecondServer.Infrastructure;
using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Web.Accounts;
using SecondServer.Web.Admin;
using SecondServer.Web.Doctor;
using SecondServer.Web.Errors;
using SecondServer.Web.Hardening;
using SecondServer.Web.Pages;
using SecondServer.Web.Profiles;
using SecondServer.Web.Reports;

namespace SecondServer.Web;

/// <summary>Composition of the Web host; tests build it in-process with their own configuration.</summary>
internal static class WebApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(WebApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.AddServiceDefaults();
        builder.AddRequestLimits();
        builder.AddInfrastructure();
        builder.AddApplication();
        builder.Services.AddProblemResponses();
        builder.Services.AddSessionAuthentication(builder.Configuration);
        builder.Services.AddPages();
        builder.Services.AddClusterDescription(builder.Configuration);

        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseExceptionHandler("/error");
        app.UseStaticFiles();
        app.UsePages();
        // After the error and status pages, so that re-executing them routes afresh.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCsrfProtection();
        app.MapDefaultEndpoints();
        app.MapDiagnostics();
        app.MapAccountEndpoints();
        app.MapProfilePictureEndpoints();
        app.MapReportEndpoints();
        app.MapQueueAdminEndpoints();
        app.MapScheduleAdminEndpoints();
        app.MapRazorPages();
        return app;
    }
}
