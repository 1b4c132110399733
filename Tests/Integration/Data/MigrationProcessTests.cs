using Dapper;
using SecondServer.Application.Data.Migrations;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Data;

/// <summary>Three real processes started at once against an empty database: the migrations apply once, all start.</summary>
public sealed class MigrationProcessTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Three_processes_started_together_on_an_empty_database_all_start_and_share_one_schema()
    {
        var ct = TestContext.Current.CancellationToken;
        var processes = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => WorkerProcess.StartAsync($"node-{i}", _cluster.Settings)));
        try
        {
            await using var connection = await _cluster.Database.Connections.OpenAsync(ct);
            var history = (await connection.QueryAsync<string>("SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId")).ToList();
            var sqlFileRecord = (await connection.QueryAsync<(string Id, string AppliedBy)>("SELECT id, applied_by FROM schema_migrations ORDER BY id")).ToList();

            Assert.Equal(MigrationTests.AllMigrations, history);
            // The previous release's record, written once by the initial migration, so that release would find nothing to apply.
            Assert.Equal(SqlFileReleaseMigrator.Files.Select(f => f.Id), sqlFileRecord.Select(r => r.Id));
            Assert.All(sqlFileRecord, r => Assert.Equal(InitialSchema.Id, r.AppliedBy));
            Assert.All(processes, p => Assert.False(p.HasExited, p.Output));
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }
}
