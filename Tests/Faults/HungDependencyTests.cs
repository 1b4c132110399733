using System.Diagnostics;
using System.Net;
using MySqlConnector;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// One replica's link to Redis or MySQL hangs (its own forwarder paused with SIGSTOP: no refusal, no reset, just
/// silence) while a user works through the balancer: the replica's readiness fails within its own timeout instead of
/// hanging, HAProxy takes it out, no user waits longer than the request timeout, and it returns after SIGCONT.
/// </summary>
[Collection("cluster")]
public sealed class HungDependencyTests(ClusterFixture cluster)
{
    // HAProxy's `timeout server`: the longest a request may take before the balancer gives up on it.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    // The longest timeout of a readiness check (MySQL's and S3's, 3 s) plus a margin for a loaded machine; below the
    // 5 s that the Redis and MySQL clients' own timeouts would take.
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(4.5);

    [Theory]
    [InlineData("redis")]
    [InlineData("mysql")]
    public async Task A_replica_whose_link_hangs_leaves_the_pool_within_seconds_and_returns_after_it_resumes(string dependency)
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        var redis = dependency == "redis";
        await using var forwarder = await PausableForwarder.StartAsync(cluster.Port(redis ? "REDIS_PORT" : "MYSQL_PORT"));
        var overrides = new Dictionary<string, string>
        {
            [redis ? "ConnectionStrings:redis" : "ConnectionStrings:appdb"] = redis
                ? $"127.0.0.1:{forwarder.Port},password={cluster.Secrets["REDIS_PASSWORD"]}"
                : $"Server=127.0.0.1;Port={forwarder.Port};User ID=app;Password={cluster.Secrets["MYSQL_APP_PASSWORD"]};Database=appdb;SslMode=None",
        };
        TimeSpan readinessTook, outAfter, backAfter;
        HttpStatusCode readiness;
        LoadGenerator load;
        var replica = await cluster.ReplaceReplicaAsync(2, overrides);
        try
        {
            await cluster.WaitUntilBothReplicasUpAsync();
            var user = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
            load = LoadGenerator.Start(user.Requests(reports: false), concurrency: 4, bound: TimeSpan.FromMinutes(4));
            try
            {
                await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy.GetValueOrDefault("web-2")), n => n >= 10, TimeSpan.FromSeconds(60), "web-2 to serve the user");

                await forwarder.PauseAsync();
                var paused = Stopwatch.GetTimestamp();
                var asked = ReadinessAsync();
                await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-2"), s => s == "DOWN", TimeSpan.FromSeconds(30), "HAProxy to take web-2 out");
                outAfter = Stopwatch.GetElapsedTime(paused);
                (readiness, readinessTook) = await asked;

                // The user goes on through web-1 alone for a while.
                var servedOut = load.Succeeded;
                await Eventually.WaitAsync(() => Task.FromResult(load.Succeeded), n => n >= servedOut + 40, TimeSpan.FromSeconds(60), "requests while web-2 is out");

                await forwarder.ResumeAsync();
                var resumed = Stopwatch.GetTimestamp();
                await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-2"), s => s == "UP", TimeSpan.FromSeconds(60), "web-2 back in the pool");
                backAfter = Stopwatch.GetElapsedTime(resumed);
                var servedBack = load.ServedBy.GetValueOrDefault("web-2");
                await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy.GetValueOrDefault("web-2")), n => n >= servedBack + 10, TimeSpan.FromSeconds(60), "web-2 to serve the user again");
                await load.FinishAsync();
            }
            finally
            {
                await load.DisposeAsync();
            }

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{dependency} hung: readiness {(int)readiness} in {readinessTook.TotalMilliseconds:F0} ms; out of HAProxy after {outAfter.TotalSeconds:F1} s; " +
                $"back {backAfter.TotalSeconds:F1} s after SIGCONT; {load.Succeeded} requests, slowest {load.Slowest.TotalMilliseconds:F0} ms; " +
                $"failures: {string.Join("; ", load.Failures.GroupBy(f => $"{f.Request} {f.Reason}").Select(g => $"{g.Count()} x {g.Key}"))}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness);
            Assert.True(readinessTook < ReadinessTimeout, $"readiness took {readinessTook}");
            Assert.True(load.Slowest < RequestTimeout, $"a request took {load.Slowest}");

            // A write that reached web-2 in the moment before HAProxy took it out is refused (HAProxy does not replay
            // writes), never left hanging; reads are replayed on web-1.
            Assert.All(load.Failures, f => Assert.Equal("503 Service Unavailable", f.Reason));
            Assert.All(load.Failures, f => Assert.Contains(f.Request, UserTraffic.Writes));
            await user.AssertStoredWholeAsync(cluster);
        }
        finally
        {
            await forwarder.ResumeAsync();
            await replica.DisposeAsync();
            await cluster.WaitUntilBothReplicasUpAsync();
        }
    }

    /// <summary>
    /// The case that made the test above flaky: a replica hangs right after taking a row lock (a picture swap's
    /// <c>SELECT ... FOR UPDATE</c>), so MariaDB sees an idle transaction on a live connection and would keep the lock
    /// for as long as the hang lasts, stalling every other replica's write to that row. The cluster's
    /// <c>idle_transaction_timeout</c> ends such a session, so the other writer goes on within seconds.
    /// </summary>
    [Fact]
    public async Task A_replica_hung_inside_a_transaction_holds_its_row_lock_for_seconds_not_for_the_whole_hang()
    {
        var ct = TestContext.Current.CancellationToken;
        var email = $"{Guid.NewGuid():N}@example.com";
        await UserTraffic.SignInAsync(cluster.Balancer, email);
        await using var forwarder = await PausableForwarder.StartAsync(cluster.Port("MYSQL_PORT"));
        var login = $"User ID=app;Password={cluster.Secrets["MYSQL_APP_PASSWORD"]};Database=appdb;SslMode=None;Pooling=false;Default Command Timeout=60";

        await using var hung = new MySqlConnection($"Server=127.0.0.1;Port={forwarder.Port};{login}");
        await hung.OpenAsync(ct);
        await using var transaction = await hung.BeginTransactionAsync(ct);
        await using (var lockRow = new MySqlCommand("SELECT id FROM accounts WHERE email = @email FOR UPDATE", hung, transaction))
        {
            lockRow.Parameters.AddWithValue("@email", email);
            Assert.NotNull(await lockRow.ExecuteScalarAsync(ct));
        }

        await forwarder.PauseAsync();
        await using var other = new MySqlConnection($"Server=127.0.0.1;Port={cluster.Port("MYSQL_PORT")};{login}");
        await other.OpenAsync(ct);
        var started = Stopwatch.GetTimestamp();
        await using (var rename = new MySqlCommand("UPDATE accounts SET display_name = 'after the hang' WHERE email = @email", other))
        {
            rename.Parameters.AddWithValue("@email", email);
            Assert.Equal(1, await rename.ExecuteNonQueryAsync(ct));
        }

        var waited = Stopwatch.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper?.WriteLine($"the other writer waited {waited.TotalSeconds:F1} s for the hung session's row lock");
        // idle_transaction_timeout (10 s) from the lock, plus a loaded machine's margin; InnoDB alone would wait 50 s.
        Assert.True(waited < TimeSpan.FromSeconds(25), $"the other writer waited {waited}");

        // The hung session was ended by the server, not merely outwaited: once it resumes, its connection is gone.
        await forwarder.ResumeAsync();
        await using var next = new MySqlCommand("SELECT 1", hung, transaction);
        await Assert.ThrowsAnyAsync<MySqlException>(() => next.ExecuteScalarAsync(ct));
    }

    // Straight from web-2, with a client that waits far longer than the check may take.
    private async Task<(HttpStatusCode Status, TimeSpan Took)> ReadinessAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(new Uri(cluster.Replica(2), "/health/ready"), TestContext.Current.CancellationToken);
        return (response.StatusCode, Stopwatch.GetElapsedTime(started));
    }
}
