using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using SecondServer.Application.Reports;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// The worker killed with SIGKILL while it holds report jobs, a user working through the balancer all along: every
/// report is done once in effect (one done row, its one CSV object), none fails, none stays reserved, and the user
/// never notices.
/// </summary>
[Collection("cluster")]
public sealed class WorkerCrashTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Two_hundred_reports_all_reach_done_once_across_a_kill_9_of_the_worker_holding_them()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var user = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var ids = new List<Guid>();
        var failedBefore = (await QueueAsync(admin)).Failed;
        var load = LoadGenerator.Start(user.Requests(reports: false), concurrency: 2, bound: TimeSpan.FromMinutes(6));
        TimeSpan returned;
        QueueOverview afterKill;
        try
        {
            // Queued while no worker runs, so the worker starts with all of them waiting and the kill below finds it
            // busy with some and the rest still queued.
            const int Reports = 200;
            await cluster.SupervisorAsync("stop", "apps:worker-1");
            for (var i = 0; i < Reports; i++)
            {
                using var queued = await admin.PostAsync(cluster.Balancer, "/api/reports");
                Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
                ids.Add((await queued.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid());
            }

            // Killed the moment it holds jobs, seen in Redis itself: a fast worker drains all 200 within the two
            // seconds supervisord waits before it calls a start done, so a look through the API could come too late.
            await using var redis = await cluster.ConnectRedisAsync();
            var reserved = redis.GetDatabase();
            var heldBefore = await reserved.SortedSetLengthAsync("ss:queues:reports:reserved");
            var starting = cluster.SupervisorAsync("start", "apps:worker-1");
            var pid = await Eventually.WaitAsync(() => cluster.PidOfAsync("apps:worker-1"), p => p > 0, TimeSpan.FromSeconds(60), "worker-1 to be spawned");
            using (var victim = Process.GetProcessById(pid))
            {
                await Eventually.WaitAsync(
                    () => reserved.SortedSetLengthAsync("ss:queues:reports:reserved"), n => n > heldBefore,
                    TimeSpan.FromSeconds(60), "worker-1 to take jobs", TimeSpan.FromMilliseconds(2));
                victim.Kill();
                await victim.WaitForExitAsync(ct);
            }

            // The jobs it held stay reserved by the dead worker until their visibility deadline; supervisord starts a
            // new worker meanwhile, which takes the rest and then those.
            var killedAt = Stopwatch.GetTimestamp();
            await starting;
            afterKill = await QueueAsync(admin);
            await Eventually.WaitAsync(() => StatusesAsync(ids), s => s.Keys.All(k => k is "done" or "failed"), TimeSpan.FromMinutes(4), "every report to finish");
            returned = Stopwatch.GetElapsedTime(killedAt);
            await load.FinishAsync();
        }
        finally
        {
            await load.DisposeAsync();
            await cluster.SupervisorAsync("start", "apps:worker-1");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{afterKill.Reserved} jobs reserved at the kill; all {ids.Count} reports done {returned.TotalSeconds:F0} s after it; " +
            $"{load.Succeeded} user requests, {load.Failures.Count} failed, slowest {load.Slowest.TotalMilliseconds:F0} ms");
        Assert.True(afterKill.Reserved > 0, $"the kill found worker-1 holding no job: {afterKill}");
        Assert.Equal(new Dictionary<string, int> { ["done"] = ids.Count }, await StatusesAsync(ids));
        var queue = await QueueAsync(admin);
        Assert.Equal((0L, 0L, failedBefore), (queue.Pending, queue.Reserved, queue.Failed));
        await AssertOneObjectPerReportAsync(ids);
        Assert.Empty(load.Failures);
        await user.AssertStoredWholeAsync(cluster);
    }

    // Each done row names the object its id derives from, and that object is in S3: a second delivery after the kill
    // overwrote the same object instead of leaving a second one.
    private async Task AssertOneObjectPerReportAsync(List<Guid> ids)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await cluster.OpenDatabaseAsync();
        var keys = (await connection.QueryAsync<(Guid Id, string? ObjectKey)>(new CommandDefinition(
            "SELECT id, object_key FROM reports WHERE id IN @ids", new { ids = ids.Select(i => i.ToString()) }, cancellationToken: ct))).ToList();
        Assert.Equal(ids.Count, keys.Count);
        Assert.All(keys, k => Assert.Equal(ReportService.ObjectKeyOf(k.Id), k.ObjectKey));

        using var s3 = cluster.S3();
        var stored = new HashSet<string>(StringComparer.Ordinal);
        var request = new Amazon.S3.Model.ListObjectsV2Request { BucketName = "uploads", Prefix = "reports/" };
        Amazon.S3.Model.ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request, ct);
            stored.UnionWith((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        Assert.All(keys, k => Assert.Contains(k.ObjectKey!, stored));
    }

    private async Task<Dictionary<string, int>> StatusesAsync(List<Guid> ids)
    {
        await using var connection = await cluster.OpenDatabaseAsync();
        return (await connection.QueryAsync<(string Status, int Count)>(new CommandDefinition(
            "SELECT status, COUNT(*) FROM reports WHERE id IN @ids GROUP BY status",
            new { ids = ids.Select(i => i.ToString()) }, cancellationToken: TestContext.Current.CancellationToken))).ToDictionary(r => r.Status, r => r.Count);
    }

    private async Task<QueueOverview> QueueAsync(Browser admin)
    {
        using var response = await admin.GetAsync(cluster.Balancer, "/api/admin/queue");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<QueueOverview>(TestContext.Current.CancellationToken))!;
    }

    private sealed record QueueOverview(long Pending, long Reserved, long Delayed, long Failed);
}
