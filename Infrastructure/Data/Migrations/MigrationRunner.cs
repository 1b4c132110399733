using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Resilience;

namespace SecondServer.Infrastructure.Data.Migrations;

/// <summary>Whether this process may use the schema yet. Readiness and anything that touches tables at startup wait on it.</summary>
internal sealed class MigrationState
{
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsApplied => _applied.Task.IsCompletedSuccessfully;

    public string? Failure { get; private set; }

    public Task WhenAppliedAsync(CancellationToken cancellationToken) => _applied.Task.WaitAsync(cancellationToken);

    public void MarkApplied() => _applied.TrySetResult();

    public void MarkFailed(string reason)
    {
        Failure = reason;
        _applied.TrySetException(new InvalidOperationException(reason));
    }
}

/// <summary>
/// Migrates at startup without holding startup up: while MySQL is unreachable it retries with back-off and
/// readiness says why; a migration that fails stops the process with a clear message instead of serving.
/// </summary>
internal sealed class MigrationRunner(
    ISchemaMigrator migrator,
    MigrationState state,
    IOptions<DatabaseOptions> options,
    IDbConnectionFactory database,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<MigrationRunner> logger) : BackgroundService
{
    /// <summary>Exit code of a process stopped by a failed migration (sysexits' EX_DATAERR).</summary>
    public const int FailedExitCode = 65;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.MigrateOnStartup)
        {
            state.MarkApplied();
            return;
        }

        // Off the host's start-up path: what runs before the first await here would hold up Kestrel's start.
        await Task.Yield();

        var backoff = new Backoff(time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await migrator.MigrateAsync(stoppingToken);
                state.MarkApplied();
                return;
            }
            catch (MigrationFailedException ex)
            {
                logger.LogCritical("{Reason}", ex.Message);
                state.MarkFailed(ex.Message);
                Environment.ExitCode = FailedExitCode;
                lifetime.StopApplication();
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && database.IsConnectionFailure(ex))
            {
                logger.LogWarning("Migrations wait for MySQL at {Database}: {Error}; retrying in {Delay}", database.Describe(), ex.Message, backoff.Next);
                await backoff.WaitAsync(stoppingToken);
            }
        }
    }
}

internal sealed class MigrationHealthCheck(MigrationState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsApplied
            ? HealthCheckResult.Healthy("The schema is up to date.")
            : HealthCheckResult.Unhealthy(state.Failure ?? "Migrations have not been applied yet."));
}
