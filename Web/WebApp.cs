using SecondServer.Application;
using SecondServer.Infrastructure;
using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Web.Accounts;
using SecondServer.Web.Errors;
using SecondServer.Web.Profiles;

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
        builder.AddInfrastructure();
        builder.AddApplication();
        builder.Services.AddProblemResponses();
        builder.Services.AddSessionAuthentication(builder.Configuration);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseCsrfProtection();
        app.MapDefaultEndpoints();
        app.MapDiagnostics();
        app.MapAccountEndpoints();
        app.MapProfilePictureEndpoints();
        app.MapGet("/", (IConfiguration configuration) => Results.Ok(new { service = "SecondServer", instance = configuration["App:InstanceId"] }));
        return app;
    }
}
