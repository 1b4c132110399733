using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecondServer.Infrastructure.Data;

/// <summary>
/// MySQL answers a query on a connection from the very driver pool the EF Core contexts and the Dapper stores share
/// (one connection string). Not through a context: the balancer probes every half second from a process's first
/// moment, and a probe must not wait on EF Core building its model or retrying with back-off; an outage shows at once.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbConnectionFactory database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
            return HealthCheckResult.Healthy($"MySQL at {database.Describe()} answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"MySQL at {database.Describe()} is unreachable: {ex.Message}");
        }
    }
}
