using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.ServiceDefaults.Health;
using SecondServer.ServiceDefaults.Http;
using SecondServer.ServiceDefaults.Lifecycle;
using SecondServer.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The defaults every SecondServer process shares, in the spirit of the .NET Aspire ServiceDefaults template but
/// built only on packages that restore without the Aspire feed: OpenTelemetry, health checks, forwarded headers,
/// the <c>X-Served-By</c> header and a lame-duck shutdown.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Registers telemetry, health checks, forwarded headers, X-Served-By and graceful shutdown.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        InstanceIdentity.Resolve(builder.Configuration, builder.Environment);
        builder.ConfigureOpenTelemetry();
        builder.Services.AddGracefulShutdown(builder.Configuration);
        builder.Services.AddHealthChecks().AddCheck<ShutdownHealthCheck>("shutdown");
        builder.Services.AddProxyAwareness(builder.Configuration);
        builder.Services.AddTransient<IStartupFilter, ServiceDefaultsStartupFilter>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c> (the process answers) and <c>/health/ready</c> (every dependency reachable and the
    /// host not stopping). Mapped in every environment: the balancer and the process manager rely on them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthEndpoints();
        return app;
    }
}
