using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecondServer.ServiceDefaults.Health;

/// <summary>
/// <c>/health/live</c> runs only the checks tagged <c>live</c> (none touches a dependency): a process whose database is
/// down is still alive and must not be restarted for it. <c>/health/ready</c> runs every registered check; one
/// unhealthy check answers 503.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string LiveTag = "live";

    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var instance = endpoints.ServiceProvider.GetRequiredService<InstanceIdentity>().Name;
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = (ctx, report) => WriteJson(ctx, report, instance),
        }).DisableHttpMetrics();
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            ResponseWriter = (ctx, report) => WriteJson(ctx, report, instance),
        }).DisableHttpMetrics();
    }

    private static Task WriteJson(HttpContext context, HealthReport report, string instance)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            instance,
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
