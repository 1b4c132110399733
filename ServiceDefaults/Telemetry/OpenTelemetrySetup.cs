using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SecondServer.ServiceDefaults.Telemetry;

/// <summary>
/// The Aspire template's OpenTelemetry: ASP.NET Core, HttpClient and runtime instrumentation, this code base's own
/// sources, and OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the AppHost sets it for the dashboard).
/// </summary>
public static class OpenTelemetrySetup
{
    /// <summary>Overrides whether spans are recorded: <c>true</c> or <c>false</c>; unset, they are when exported.</summary>
    public const string TracingKey = "Telemetry:Tracing";

    /// <summary>Every ActivitySource and Meter of this code base is named under this prefix.</summary>
    public const string SourcePrefix = "SecondServer";

    /// <summary>MySqlConnector's own ActivitySource: a span per command, with the statement.</summary>
    private const string MySqlSource = "MySqlConnector";

    /// <summary>
    /// Whether this process records spans. A span costs work on every request and a Redis profiling session per
    /// command; with no exporter configured nothing would ever read them, so they are recorded only when exported
    /// (the AppHost's dashboard), or when <see cref="TracingKey"/> asks (tests that collect spans in memory).
    /// </summary>
    public static bool TracesSpans(IConfiguration configuration) =>
        configuration.GetValue<bool?>(TracingKey) ?? !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    internal static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });

        // The AppHost names each replica in OTEL_RESOURCE_ATTRIBUTES; elsewhere App:InstanceId does.
        var namedByEnvironment = builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"]?.Contains("service.instance.id=", StringComparison.Ordinal) == true;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(
                serviceName: builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName,
                serviceInstanceId: namedByEnvironment ? null : InstanceIdentity.Of(builder).Name,
                autoGenerateServiceInstanceId: false))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(SourcePrefix + ".*"));
        if (TracesSpans(builder.Configuration))
        {
            otel.WithTracing(t => t
                .AddSource(builder.Environment.ApplicationName, SourcePrefix + ".*", MySqlSource)
                // Probes every second from the balancer would drown the traces people look for.
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsHealthProbe(context))
                .AddHttpClientInstrumentation());
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
    }

    private static bool IsHealthProbe(HttpContext context) => context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal);
}
