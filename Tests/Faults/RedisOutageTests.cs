using System.Net;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>The shared Redis stopped for ten seconds under a signed-in user's traffic through the balancer, then started again.</summary>
[Collection("cluster")]
public sealed class RedisOutageTests(ClusterFixture cluster)
{
    /// <summary>How soon after Redis answers PING again the last error may end: its reconnect runs on a 100 ms heartbeat.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task A_Redis_outage_answers_503_with_Retry_After_and_loses_no_session_or_job_and_errors_stop_once_it_answers()
    {
        var redis = new SharedDependencies(cluster);
        await cluster.WaitUntilBothReplicasUpAsync();
        var traffic = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var workerPid = await cluster.PidOfAsync("apps:worker-1");
        Assert.True(workerPid > 0, "worker-1 is not running under supervisord");

        // Queued just before the outage: the worker still holds or waits for some of them when Redis goes away.
        var reports = await SharedDependencies.QueueReportsAsync(admin, cluster.Balancer, 40);
        await using (var load = LoadGenerator.Start(traffic.Requests(reports: false), concurrency: 2, bound: TimeSpan.FromMinutes(3)))
        {
            await Eventually.WaitAsync(() => Task.FromResult(load.Succeeded), n => n >= 10, TimeSpan.FromSeconds(30), "the load to get going");
            var answered = await redis.OutageAsync(SharedDependencies.Redis, redis.RedisAnswersPingAsync, TimeSpan.FromSeconds(60), "Redis");

            // Enough of the load after Redis is back to see the errors stop, on both replicas.
            var successesAtRecovery = load.Succeeded;
            load.ServedBy.Clear();
            await Eventually.WaitAsync(
                () => Task.FromResult((load.Succeeded - successesAtRecovery, load.ServedBy.Count)),
                s => s.Item1 >= 40 && s.Item2 == 2, TimeSpan.FromSeconds(60), "the load to succeed on both replicas again");
            await load.StopAsync();

            var failures = load.Failures.ToList();
            Assert.True(failures.Count > 0, "no request failed while Redis was down: the test did not reach it");
            SharedDependencies.AssertAllAreRetryable503s(failures);
            var lastError = SharedDependencies.Milliseconds(answered, failures.Max(f => f.EndedAt));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{failures.Count} requests failed ({SharedDependencies.Describe(failures)}); " +
                $"the last error ended {lastError:0} ms after Redis answered PING");
            Assert.True(lastError <= Recovery.TotalMilliseconds, $"errors went on {lastError:0} ms after Redis answered PING (allowed {Recovery.TotalMilliseconds} ms)");
        }

        // The session signed in before the outage still works, the worker resumed by itself, and no accepted job was lost.
        using (var me = await admin.GetAsync(cluster.Balancer, "/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        var finished = await redis.FinishedReportsAsync(reports);
        Assert.Equal(new Dictionary<string, int> { ["done"] = reports.Count }, finished);
        Assert.Equal(workerPid, await cluster.PidOfAsync("apps:worker-1"));
        await cluster.WaitUntilBothReplicasUpAsync();
    }
}
