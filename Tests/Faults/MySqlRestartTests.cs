using Dapper;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>The shared MariaDB stopped for ten seconds and started again, under a signed-in user's traffic through the balancer.</summary>
[Collection("cluster")]
public sealed class MySqlRestartTests(ClusterFixture cluster)
{
    /// <summary>How soon after MariaDB answers again the last error may end.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Cached_reads_never_fail_through_a_MariaDB_restart_writes_answer_503_with_Retry_After_and_jobs_and_schema_survive()
    {
        var mysql = new SharedDependencies(cluster);
        await cluster.WaitUntilBothReplicasUpAsync();
        var history = await MigrationHistoryAsync();

        // One user only reads (what the cache serves); another also renames and uploads, which need MariaDB. Two users,
        // because a rename invalidates its own profile's cache entry.
        var reader = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var writer = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var reports = await SharedDependencies.QueueReportsAsync(admin, cluster.Balancer, 40);

        await using var reads = LoadGenerator.Start(reader.CachedReads(), concurrency: 2, bound: TimeSpan.FromMinutes(3));
        await using (var writes = LoadGenerator.Start(writer.Requests(reports: false), concurrency: 1, bound: TimeSpan.FromMinutes(3)))
        {
            await Eventually.WaitAsync(() => Task.FromResult((reads.Succeeded, writes.Succeeded)), n => n.Item1 >= 10 && n.Item2 >= 4, TimeSpan.FromSeconds(30), "the load to get going");
            var answered = await mysql.OutageAsync(SharedDependencies.MariaDb, mysql.MySqlAnswersAsync, TimeSpan.FromSeconds(90), "MariaDB");

            var successesAtRecovery = writes.Succeeded;
            writes.ServedBy.Clear();
            await Eventually.WaitAsync(
                () => Task.FromResult((writes.Succeeded - successesAtRecovery, writes.ServedBy.Count)),
                s => s.Item1 >= 20 && s.Item2 == 2, TimeSpan.FromSeconds(60), "the writes to succeed on both replicas again");
            await writes.StopAsync();
            await reads.StopAsync();

            var failures = writes.Failures.ToList();
            Assert.True(failures.Count > 0, "no write failed while MariaDB was down: the test did not reach it");
            SharedDependencies.AssertAllAreRetryable503s(failures);
            var lastError = SharedDependencies.Milliseconds(answered, failures.Max(f => f.EndedAt));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"reads: {reads.Succeeded} succeeded, {reads.Failures.Count} failed; " +
                $"writes: {failures.Count} failed ({SharedDependencies.Describe(failures)}); " +
                $"the last error ended {lastError:0} ms after MariaDB answered");
            Assert.True(reads.Failures.IsEmpty, $"cached reads failed: {SharedDependencies.Describe(reads.Failures)}");
            Assert.True(lastError <= Recovery.TotalMilliseconds, $"errors went on {lastError:0} ms after MariaDB answered (allowed {Recovery.TotalMilliseconds} ms)");
        }

        var finished = await mysql.FinishedReportsAsync(reports);
        Assert.Equal(new Dictionary<string, int> { ["done"] = reports.Count }, finished);
        await writer.AssertStoredWholeAsync(cluster);
        Assert.Equal(history, await MigrationHistoryAsync());
        await cluster.WaitUntilBothReplicasUpAsync();
    }

    private async Task<List<(string Id, string Version)>> MigrationHistoryAsync()
    {
        await using var connection = await cluster.OpenDatabaseAsync();
        return [.. await connection.QueryAsync<(string, string)>(new CommandDefinition(
            "SELECT MigrationId, ProductVersion FROM __EFMigrationsHistory ORDER BY MigrationId", cancellationToken: TestContext.Current.CancellationToken))];
    }
}
