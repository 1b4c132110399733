using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecondServer.Infrastructure.Data;

/// <summary>
/// MySQL answers a query through the application's own context, so readiness checks the very pool and settings
/// requests use. The context factory is resolved inside the check: making it may ask the server its version, and
/// an unreachable server must read as Unhealthy with its reason, not as a broken health endpoint.
/// </summary>
internal sealed class DatabaseHealthCheck<TContext>(IServiceProvider services, IDbConnectionFactory database) : IHealthCheck
    where TContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContextAsync(cancellationToken);
            // Straight to the connection: the retrying execution strategy would hide an outage behind its back-off.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy($"MySQL at {database.Describe()} answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"MySQL at {database.Describe()} is unreachable: {ex.Message}");
        }
    }
}
