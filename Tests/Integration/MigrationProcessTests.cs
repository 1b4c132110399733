using Dapper;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration;

/// <summary>Three real processes started at once against an empty database: each migration applies once, all start.</summary>
public sealed class MigrationProcessTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Three_processes_started_together_on_an_empty_database_all_start_and_share_one_schema()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = TestHost.SharedSettings(_database.ConnectionString);
        var expected = MigrationCatalog.From([
            new MigrationSource(typeof(SecondServer.Infrastructure.InfrastructureRegistration).Assembly),
            new MigrationSource(typeof(SecondServer.Application.ApplicationRegistration).Assembly),
        ]).Migrations.Select(m => m.Id).ToList();

        var processes = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => WorkerProcess.StartAsync($"node-{i}", settings)));
        try
        {
            await using var connection = await _database.Connections.OpenAsync(ct);
            var applied = (await connection.QueryAsync<(string Id, string AppliedBy)>("SELECT id, applied_by FROM schema_migrations ORDER BY id")).ToList();

            Assert.Equal(expected, applied.Select(a => a.Id));
            Assert.All(applied, a => Assert.Contains(a.AppliedBy, new[] { "node-1", "node-2", "node-3" }));
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
