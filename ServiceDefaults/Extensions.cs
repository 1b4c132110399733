using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SecondServer.ServiceDefaults;
using SecondServer.ServiceDefaults.Health;
using SecondServer.ServiceDefaults.Http;
using SecondServer.ServiceDefaults.Lifecycle;
using SecondServer.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The defaults every SecondServer process shares, in the shape of the .NET Aspire ServiceDefaults template
/// (OpenTelemetry, default health checks, service discovery, resilient HttpClients), plus what a replica behind a
/// balancer needs: forwarded headers, the <c>X-Served-By</c> header and a lame-duck shutdown.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Registers the <see cref="InstanceIdentity"/>, telemetry, health checks, service discovery, HttpClient resilience, forwarded headers, X-Served-By and graceful shutdown.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        InstanceIdentity.Of(builder);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddGracefulShutdown(builder.Configuration);
        builder.Services.AddProxyAwareness(builder.Configuration);
        builder.Services.AddTransient<IStartupFilter, ServiceDefaultsStartupFilter>();
        return builder;
    }

    /// <summary>
    /// The template's "self" check, tagged <c>live</c> (the only one <c>/health/live</c> runs), and this project's
    /// lame-duck check, which turns readiness 503 from the first moment of shutdown; every check's timeout is a deadline
    /// (<see cref="CheckDeadlines"/>).
    /// </summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag])
            .AddCheck<ShutdownHealthCheck>("shutdown");
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HealthCheckServiceOptions>, CheckDeadlines>());
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
