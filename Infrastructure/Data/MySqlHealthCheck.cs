using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecondServer.Infrastructure.Data;

internal sealed class MySqlHealthCheck(IDbConnectionFactory database) : IHealthCheck
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
