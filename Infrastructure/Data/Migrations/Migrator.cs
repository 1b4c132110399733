using System.Data.Common;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace SecondServer.Infrastructure.Data.Migrations;

/// <summary>A migration's SQL failed, or an applied migration's file changed: startup must stop.</summary>
internal sealed class MigrationFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Applies pending migrations once across every process: under a MySQL named lock (session-scoped, so a crashed
/// migrator frees it at once, with no TTL to guess), each recorded in <c>schema_migrations</c> after it succeeds.
/// Waiters block on the lock and then find nothing pending, so no process boots new code on an old schema.
/// </summary>
/// <remarks>
/// MySQL commits DDL implicitly, so a migration is not transactional: a file that fails halfway is not recorded
/// (the record never claims what did not happen) and must be written so that it can run again once fixed.
/// Migrations are expand/contract: during a rolling deploy the previous release runs against the new schema.
/// </remarks>
internal sealed class Migrator(IDbConnectionFactory database, MigrationCatalog catalog, IConfiguration configuration, ILogger<Migrator> logger)
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    /// <summary>Applies what is pending; returns the ids this call applied (empty when another process did).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await AcquireLockAsync(connection, cancellationToken);
        try
        {
            return await ApplyPendingAsync(connection, cancellationToken);
        }
        finally
        {
            // Named locks outlive a pooled connection's return to the pool: release explicitly, always.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT RELEASE_LOCK(@name)", new { name = LockName(connection) }, cancellationToken: CancellationToken.None));
            }
        }
    }

    // GET_LOCK names are server-wide (several databases may share one server) and at most 64 characters long.
    private static string LockName(DbConnection connection)
    {
        var name = $"migrate:{connection.Database}";
        return name.Length <= 64 ? name : name[..64];
    }

    private async Task AcquireLockAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var name = LockName(connection);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var got = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT GET_LOCK(@name, @seconds)", new { name, seconds = (int)LockWait.TotalSeconds }, cancellationToken: cancellationToken));
            if (got == 1)
            {
                return;
            }

            logger.LogInformation("Waiting for the migration lock {Lock}, held by another instance ({Elapsed:0}s so far)", name, waited.Elapsed.TotalSeconds);
        }
    }

    private async Task<IReadOnlyList<string>> ApplyPendingAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                id          VARCHAR(190) NOT NULL PRIMARY KEY,
                checksum    CHAR(64)     NOT NULL,
                applied_at  DATETIME(6)  NOT NULL,
                applied_by  VARCHAR(190) NOT NULL,
                duration_ms INT          NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
            """, cancellationToken: cancellationToken));

        var applied = (await connection.QueryAsync<(string Id, string Checksum)>(new CommandDefinition(
            "SELECT id, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => r.Checksum, StringComparer.Ordinal);

        foreach (var migration in catalog.Migrations.Where(m => applied.ContainsKey(m.Id)))
        {
            if (!string.Equals(applied[migration.Id], migration.Checksum, StringComparison.Ordinal))
            {
                throw new MigrationFailedException(
                    $"Migration {migration.Id} was changed after it was applied. Applied migrations are immutable: restore the file and add a new migration instead.");
            }
        }

        var instance = configuration["App:InstanceId"] ?? Environment.MachineName;
        var done = new List<string>();
        foreach (var migration in catalog.Migrations.Where(m => !applied.ContainsKey(m.Id)))
        {
            var watch = Stopwatch.StartNew();
            logger.LogInformation("Applying migration {Migration}", migration.Id);
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, commandTimeout: 600, cancellationToken: cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !database.IsConnectionFailure(ex))
            {
                throw new MigrationFailedException(
                    $"Migration {migration.Id} failed: {ex.Message}. It was not recorded as applied; fix the file (make it safe to re-run) and start again.", ex);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (id, checksum, applied_at, applied_by, duration_ms) VALUES (@Id, @Checksum, UTC_TIMESTAMP(6), @instance, @ms)",
                new { migration.Id, migration.Checksum, instance, ms = (int)watch.ElapsedMilliseconds }, cancellationToken: cancellationToken));
            logger.LogInformation("Applied migration {Migration} in {Elapsed} ms", migration.Id, watch.ElapsedMilliseconds);
            done.Add(migration.Id);
        }

        return done;
    }
}
