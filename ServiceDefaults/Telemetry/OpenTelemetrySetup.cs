using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SecondServer.ServiceDefaults.Telemetry;

/// <summary>
/// OpenTelemetry without OpenTelemetry.Extensions.Hosting (not on the feed): the SDK's builder interface needs only
/// a service collection, and a hosted service resolves the providers so they start listening.
/// </summary>
internal static class OpenTelemetrySetup
{
    /// <summary>Every ActivitySource and Meter of this code base is named under this prefix.</summary>
    public const string SourcePrefix = "SecondServer";

    private static readonly string[] BuiltInMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics", "System.Net.Http", "System.Runtime",
    ];

    public static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        // Adds method, scheme and path to ASP.NET Core's server spans; SpanEnrichmentMiddleware adds the route and status.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });

        var otel = new OpenTelemetryBuilder(builder.Services)
            .ConfigureResource(r => r.AddService(
                serviceName: builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName,
                serviceInstanceId: builder.Configuration["App:InstanceId"]))
            .WithTracing(t => t.AddSource("Microsoft.AspNetCore", "System.Net.Http", SourcePrefix + ".*"))
            .WithMetrics(m => m.AddMeter([.. BuiltInMeters, SourcePrefix + ".*"]))
            .WithLogging();

        // The Aspire dashboard (and any collector) is reached only when an endpoint is configured.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        builder.Services.AddHostedService<OpenTelemetryStarter>();
    }

    private sealed class OpenTelemetryBuilder(IServiceCollection services) : IOpenTelemetryBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    // The providers only subscribe to sources once resolved; Extensions.Hosting would do this for us.
    private sealed class OpenTelemetryStarter(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(tracerProvider);
            GC.KeepAlive(meterProvider);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
