using Dapper;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Data;

/// <summary>What the code relies on from the MySQL driver (charsets, server-side cancellation, real concurrency, transactions), proven against the real server.</summary>
public sealed class MySqlDriverTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task System_charset_utf8mb3_columns_and_driver_warnings_leave_the_connection_sound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await _database.Connections.OpenAsync(ct);

        // Columns of system origin come back in utf8mb3 on MariaDB 10.6+; the driver's own SHOW WARNINGS too.
        var charset = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT @@character_set_system", cancellationToken: ct));
        var name = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT DATABASE()", cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("DROP TABLE IF EXISTS no_such_table", cancellationToken: ct));
        var afterWarning = await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 41 + 1", cancellationToken: ct));

        Assert.StartsWith("utf8", charset, StringComparison.Ordinal);
        Assert.Equal(_database.Name, name);
        Assert.Equal(42, afterWarning);
    }

    [Fact]
    public async Task Cancellation_stops_the_query_on_the_server_and_surfaces_as_OperationCanceledException()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = $"cancel-{Guid.NewGuid():N}";
        await using var connection = await _database.Connections.OpenAsync(ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var query = connection.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT SLEEP(60) /* {marker} */", cancellationToken: cancel.Token));
        await WaitUntilRunningAsync(marker, expected: 1, ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query);
        await WaitUntilRunningAsync(marker, expected: 0, ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct)));
    }

    [Fact]
    public async Task Concurrent_awaits_really_run_concurrently_on_the_server()
    {
        var ct = TestContext.Current.CancellationToken;
        const int Parallel = 6;
        var marker = $"parallel-{Guid.NewGuid():N}";

        // A driver whose async methods block (as MySql.Data's did) would run these one by one.
        var queries = Enumerable.Range(0, Parallel).Select(async _ =>
        {
            await using var connection = await _database.Connections.OpenAsync(ct);
            return await connection.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT SLEEP(3) /* {marker} */", cancellationToken: ct));
        }).ToList();

        await WaitUntilRunningAsync(marker, expected: Parallel, ct);
        Assert.All(await Task.WhenAll(queries), r => Assert.Equal(0, r));
    }

    [Fact]
    public async Task Transactions_without_an_isolation_level_commit_and_roll_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await _database.Connections.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("CREATE TABLE tx (id INT PRIMARY KEY)", cancellationToken: ct));

        await using (var rolledBack = await connection.BeginTransactionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO tx VALUES (1)", transaction: rolledBack, cancellationToken: ct));
            await rolledBack.RollbackAsync(ct);
        }

        await using (var committed = await connection.BeginTransactionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO tx VALUES (2)", transaction: committed, cancellationToken: ct));
            await committed.CommitAsync(ct);
        }

        Assert.Equal([2], await connection.QueryAsync<int>(new CommandDefinition("SELECT id FROM tx", cancellationToken: ct)));
    }

    private async Task WaitUntilRunningAsync(string marker, int expected, CancellationToken ct)
    {
        await Eventually.WaitAsync(
            async () =>
            {
                await using var probe = await _database.Connections.OpenAsync(ct);
                return await probe.ExecuteScalarAsync<int>(new CommandDefinition(
                    "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE CONCAT('SELECT SLEEP(%', @marker, '%') AND command = 'Query'",
                    new { marker }, cancellationToken: ct));
            },
            count => count == expected,
            TimeSpan.FromSeconds(15),
            $"{expected} running queries marked {marker}");
    }
}
