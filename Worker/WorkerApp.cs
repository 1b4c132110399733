using SecondServer.Application;
using SecondServer.Infrastructure;
using SecondServer.Infrastructure.Queue;

namespace SecondServer.Worker;

/// <summary>
/// Composition of the Worker host. It serves only <c>/health/*</c> on its port; its work arrives through the
/// queue and the schedule, never through HTTP.
/// </summary>
internal static class WorkerApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(WorkerApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.AddServiceDefaults();
        builder.AddInfrastructure();
        builder.AddApplication();
        builder.Services.AddQueueWorker();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }
}
