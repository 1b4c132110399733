using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecondServer.Infrastructure.Data.Migrations;

/// <summary>A migration failed, or the database is in a state no migration may start from: startup must stop.</summary>
internal sealed class MigrationFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Brings the schema up to date, once across every process.</summary>
internal interface ISchemaMigrator
{
    /// <summary>Applies what is pending; returns what this call did (empty when another process did it).</summary>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Applies the EF Core migrations of <typeparamref name="TContext"/> under a MySQL named lock (session-scoped, so a
/// crashed migrator frees it at once, with no TTL to guess). Waiters block on the lock and then find nothing pending,
/// so no process serves new code on an old schema. Under the same lock, a database made by the SQL-file release is
/// baselined first (see <see cref="SchemaBaseline"/>).
/// </summary>
/// <remarks>
/// MySQL commits DDL implicitly, so a migration is not transactional: one that fails halfway is not recorded and must
/// be written so that it can run again once fixed. Migrations are expand/contract: during a rolling deploy the
/// previous release runs against the new schema.
/// </remarks>
internal sealed class SchemaMigrator<TContext>(
    IServiceProvider services,
    ServerVersionSource serverVersion,
    SchemaBaseline baseline,
    IDbConnectionFactory database,
    ILogger<SchemaMigrator<TContext>> logger) : ISchemaMigrator where TContext : DbContext
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        // The factory is resolved here, not injected, and only once the server's version is known: making it needs
        // that version, and the runner calls this inside its wait-for-MySQL loop while the host starts without MySQL.
        await serverVersion.DetectAsync(cancellationToken);
        await using var context = await WarmUpAsync(cancellationToken);
        await context.Database.OpenConnectionAsync(cancellationToken);
        var connection = context.Database.GetDbConnection();
        var lockName = LockName(connection);
        await AcquireLockAsync(connection, lockName, cancellationToken);
        try
        {
            var done = new List<string>();
            if (await BaselineAsync(context, connection, cancellationToken))
            {
                done.Add($"{baseline.InitialMigration} (baselined)");
            }

            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count == 0)
            {
                return done;
            }

            var watch = Stopwatch.StartNew();
            logger.LogInformation("Applying migrations {Migrations}", pending);
            try
            {
                await context.Database.MigrateAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !database.IsConnectionFailure(ex))
            {
                throw new MigrationFailedException(
                    $"Migrations {string.Join(", ", pending)} failed: {ex.Message}. What failed was not recorded as applied; fix the migration (make it safe to re-run) and start again.", ex);
            }

            logger.LogInformation("Applied migrations {Migrations} in {Elapsed} ms", pending, watch.ElapsedMilliseconds);
            done.AddRange(pending);
            return done;
        }
        finally
        {
            // Named locks outlive a pooled connection's return to the pool: release explicitly, always.
            if (connection.State == ConnectionState.Open)
            {
                await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT RELEASE_LOCK(@lockName)", new { lockName }, cancellationToken: CancellationToken.None));
            }
        }
    }

    /// <summary>
    /// The process's first context, with its model built and its migration services made: seconds of synchronous CPU
    /// in a cold process (loading and compiling EF Core, building the model), done on a thread of its own. On the
    /// thread pool it would hold one of as few threads as the machine has cores while the first requests and probes
    /// wait for one.
    /// </summary>
    private Task<TContext> WarmUpAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () =>
            {
                var context = services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext();
                _ = context.Model;
                _ = context.GetService<IMigrator>();
                return context;
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    // GET_LOCK names are server-wide (several databases may share one server) and at most 64 characters long. The
    // SQL-file release took this very lock, so during a rolling deploy the two releases never migrate at once.
    private static string LockName(DbConnection connection)
    {
        var name = $"migrate:{connection.Database}";
        return name.Length <= 64 ? name : name[..64];
    }

    private async Task AcquireLockAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
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

    /// <summary>Records the initial migration as applied when the SQL-file release made this database; true if it did.</summary>
    private async Task<bool> BaselineAsync(TContext context, DbConnection connection, CancellationToken cancellationToken)
    {
        if ((await context.Database.GetAppliedMigrationsAsync(cancellationToken)).Contains(baseline.InitialMigration, StringComparer.Ordinal))
        {
            return false;
        }

        var legacyTableExists = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table",
            new { table = SchemaBaseline.LegacyTable }, cancellationToken: cancellationToken)) > 0;
        var recorded = legacyTableExists
            ? (await connection.QueryAsync<(string Id, string Checksum)>(new CommandDefinition(
                $"SELECT id, checksum FROM {SchemaBaseline.LegacyTable}", cancellationToken: cancellationToken))).ToDictionary(r => r.Id, r => r.Checksum, StringComparer.Ordinal)
            : [];
        if (recorded.Count == 0)
        {
            // A fresh database: the initial migration creates the schema (and the SQL-file release's record of it).
            return false;
        }

        var missing = baseline.SqlMigrations.Keys.Where(id => !recorded.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var changed = baseline.SqlMigrations.Where(m => recorded.TryGetValue(m.Key, out var checksum) && !string.Equals(checksum, m.Value, StringComparison.Ordinal))
            .Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || changed.Count > 0)
        {
            // Baselining claims the schema is exactly what the last SQL-file release made: anything else must not be assumed.
            throw new MigrationFailedException(
                $"This database was made by an older release than the one EF Core migrations take over from: {SchemaBaseline.LegacyTable} lacks [{string.Join(", ", missing)}] " +
                $"and records other contents for [{string.Join(", ", changed)}]. Deploy that last SQL-file release first, let it migrate, then this one.");
        }

        var history = context.GetService<IHistoryRepository>();
        await context.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        await context.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(baseline.InitialMigration, ProductInfo.GetVersion())), cancellationToken);
        logger.LogInformation(
            "Baselined a database made by the SQL-file release: {Migration} recorded as applied without running, {Table} left as it was",
            baseline.InitialMigration, SchemaBaseline.LegacyTable);
        return true;
    }
}
