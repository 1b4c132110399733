using Dapper;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Tests.Support;

/// <summary>A database of its own for one test class, dropped afterwards.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name)
    {
        Name = name;
        ConnectionString = TestEnvironment.DatabaseNamed(name);
        Connections = FactoryFor(ConnectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>The application's own connection factory, pointed at this database.</summary>
    public IDbConnectionFactory Connections { get; }

    public static IDbConnectionFactory FactoryFor(string connectionString) =>
        new MySqlConnectionFactory(Options.Create(new DatabaseOptions { ConnectionString = connectionString }));

    // No database selected and no pooling: the driver's pooled-connection reset fails without a database.
    private static IDbConnectionFactory ServerLevel() =>
        FactoryFor(new MySqlConnector.MySqlConnectionStringBuilder(TestEnvironment.DatabaseNamed("")) { Pooling = false }.ConnectionString);

    public static async Task<TestDatabase> CreateAsync()
    {
        var database = new TestDatabase(TestEnvironment.NewName("sstest_"));
        await using var connection = await ServerLevel().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync($"CREATE DATABASE `{database.Name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = await ServerLevel().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS `{Name}`");
    }
}
