using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration;

public sealed class MigrationTests : IAsyncLifetime
{
    private static readonly Migration CreateTable = new("0001_create_events", "CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)");
    // Not idempotent on purpose: a second application would add a second row.
    private static readonly Migration InsertRow = new("0002_seed_event", "INSERT INTO events (name) VALUES ('seeded')");

    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Three_migrators_started_at_once_apply_each_migration_exactly_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var migrators = Enumerable.Range(1, 3).Select(i => MigratorFor($"node-{i}", CreateTable, InsertRow)).ToList();

        var results = await Task.WhenAll(migrators.Select(m => Task.Run(() => m.MigrateAsync(ct), ct)));

        Assert.Equal([CreateTable.Id, InsertRow.Id], results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Equal(1, await ScalarAsync<int>("SELECT COUNT(*) FROM events"));
        Assert.Equal(2, await ScalarAsync<int>("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(0, await ScalarAsync<int>("SELECT IS_USED_LOCK(CONCAT('migrate:', DATABASE())) IS NOT NULL"));
    }

    [Fact]
    public async Task A_failed_migration_stops_with_its_name_and_is_not_recorded()
    {
        var ct = TestContext.Current.CancellationToken;
        var broken = new Migration("0003_broken", "ALTER TABLE no_such_table ADD COLUMN x INT");

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => MigratorFor("node-1", CreateTable, InsertRow, broken).MigrateAsync(ct));

        Assert.Contains("0003_broken failed", error.Message, StringComparison.Ordinal);
        Assert.Equal([CreateTable.Id, InsertRow.Id], await QueryAsync<string>("SELECT id FROM schema_migrations ORDER BY id"));

        var fixedMigration = new Migration("0003_broken", "ALTER TABLE events ADD COLUMN x INT");
        var applied = await MigratorFor("node-1", CreateTable, InsertRow, fixedMigration).MigrateAsync(ct);
        Assert.Equal([fixedMigration.Id], applied);
    }

    [Fact]
    public async Task An_applied_migration_whose_file_changed_stops_startup()
    {
        var ct = TestContext.Current.CancellationToken;
        await MigratorFor("node-1", CreateTable).MigrateAsync(ct);

        var edited = new Migration(CreateTable.Id, CreateTable.Sql + " ENGINE=InnoDB");
        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => MigratorFor("node-1", edited).MigrateAsync(ct));

        Assert.Contains("was changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrations_the_running_release_does_not_know_are_left_alone()
    {
        var ct = TestContext.Current.CancellationToken;
        await MigratorFor("new-release", CreateTable, InsertRow).MigrateAsync(ct);

        // During a rolling deploy the previous release boots against the newer schema.
        var applied = await MigratorFor("old-release", CreateTable).MigrateAsync(ct);

        Assert.Empty(applied);
    }

    private Migrator MigratorFor(string instance, params Migration[] migrations) =>
        new(TestDatabase.FactoryFor(_database.ConnectionString), new MigrationCatalog(migrations),
            new ConfigurationBuilder().AddInMemoryCollection([new("App:InstanceId", instance)]).Build(), NullLogger<Migrator>.Instance);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _database.Connections.OpenAsync(TestContext.Current.CancellationToken);
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = await _database.Connections.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<T>(sql)];
    }
}
