using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecondServer.ServiceDefaults.Lifecycle;

namespace SecondServer.ServiceDefaults.Health;

/// <summary>Unhealthy from the first moment of shutdown, so the balancer stops sending before Kestrel stops listening.</summary>
internal sealed class ShutdownHealthCheck(ShutdownState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsStopping
            ? HealthCheckResult.Unhealthy("The instance is shutting down.")
            : HealthCheckResult.Healthy("Accepting requests."));
}
