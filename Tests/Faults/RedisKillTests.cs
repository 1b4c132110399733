using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Faults;

/// <summary>
/// The shared Redis killed with SIGKILL under continuous writes: with <c>appendonly yes</c> and <c>appendfsync
/// everysec</c>, what it acknowledged can be missing after the restart only for the last second before the kill.
/// </summary>
[Collection("cluster")]
public sealed class RedisKillTests(ClusterFixture cluster)
{
    /// <summary>What <c>appendfsync everysec</c> promises at most to lose, plus the fsync's own time.</summary>
    private static readonly TimeSpan LossWindow = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task After_a_kill_9_Redis_still_has_every_write_and_job_it_acknowledged_more_than_a_second_before()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = new SharedDependencies(cluster);
        await cluster.WaitUntilBothReplicasUpAsync();
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var workerPid = await cluster.PidOfAsync("apps:worker-1");
        var prefix = $"ss-test:kill:{Guid.NewGuid():N}:";
        using var writer = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", cluster.Port("REDIS_PORT") } },
            Password = cluster.Secrets["REDIS_PASSWORD"],
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
        });

        // Every write the server acknowledged, with when (Stopwatch timestamps); session-like keys with a TTL, like the app's.
        var acknowledged = new ConcurrentDictionary<long, long>();
        using var stopWriting = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var writing = Task.Run(async () =>
        {
            var database = writer.GetDatabase();
            for (long n = 0; !stopWriting.IsCancellationRequested; n++)
            {
                try
                {
                    await database.StringSetAsync(prefix + n.ToString(CultureInfo.InvariantCulture), n, TimeSpan.FromMinutes(10));
                    acknowledged[n] = Stopwatch.GetTimestamp();
                }
                catch (RedisException)
                {
                    // Down: not acknowledged, so not promised.
                    await Task.Delay(5, CancellationToken.None);
                }
            }
        }, ct);

        // Jobs accepted while the writes go on; the worker consumes them as they come.
        var reports = new List<string>();
        long killed;
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(acknowledged.Count), n => n >= 1000, TimeSpan.FromSeconds(30), "writes to get going");
            reports.AddRange(await SharedDependencies.QueueReportsAsync(admin, cluster.Balancer, 30));
            var queued = Stopwatch.GetTimestamp();
            await Eventually.WaitAsync(
                () => Task.FromResult(acknowledged.Values.Max()),
                last => SharedDependencies.Milliseconds(queued, last) > LossWindow.TotalMilliseconds + 100,
                TimeSpan.FromSeconds(30), "the jobs to be older than the loss window");
            var pid = await cluster.PidOfAsync(SharedDependencies.Redis);
            Assert.True(pid > 0, "Redis is not running under supervisord");
            using (var victim = Process.GetProcessById(pid))
            {
                victim.Kill();
                killed = Stopwatch.GetTimestamp();
                await victim.WaitForExitAsync(ct);
            }

            // supervisord restarts it by itself; it answers once it has read its AOF back.
            await SharedDependencies.FirstAnswerAsync(redis.RedisAnswersPingAsync, TimeSpan.FromSeconds(60), "Redis after its restart");
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing;
            await redis.EnsureStartedAsync(SharedDependencies.Redis);
        }

        await Eventually.WaitAsync(() => Task.FromResult(writer.IsConnected), c => c, TimeSpan.FromSeconds(30), "the test's own connection to Redis to come back");
        var beforeKill = acknowledged.Where(a => a.Value < killed).ToDictionary(a => a.Key, a => a.Value);
        var database = writer.GetDatabase();
        var keys = beforeKill.Keys.Order().ToList();
        var missing = new List<long>();
        foreach (var chunk in keys.Chunk(1000))
        {
            var values = await database.StringGetAsync([.. chunk.Select(n => (RedisKey)(prefix + n.ToString(CultureInfo.InvariantCulture)))]);
            missing.AddRange(chunk.Where((_, i) => values[i].IsNull));
        }

        var lost = missing.Count == 0 ? 0 : SharedDependencies.Milliseconds(missing.Min(n => beforeKill[n]), killed);
        TestContext.Current.TestOutputHelper?.WriteLine($"{beforeKill.Count} writes acknowledged before the kill; {missing.Count} missing after the restart; loss window {lost:0} ms");
        Assert.True(beforeKill.Count >= 1000, "too few writes before the kill to judge");
        Assert.True(lost <= LossWindow.TotalMilliseconds, $"writes acknowledged {lost:0} ms before the kill are gone ({missing.Count} missing)");

        var finished = await redis.FinishedReportsAsync(reports);
        Assert.Equal(new Dictionary<string, int> { ["done"] = reports.Count }, finished);
        Assert.Equal(workerPid, await cluster.PidOfAsync("apps:worker-1"));
        await database.KeyDeleteAsync([.. keys.Select(n => (RedisKey)(prefix + n.ToString(CultureInfo.InvariantCulture)))]);
    }
}
