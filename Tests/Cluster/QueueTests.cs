using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 4 on the running cluster: reports queued through the balancer all get done, the worker killed while it holds some.</summary>
[Collection("cluster")]
public sealed class QueueTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Reports_queued_through_the_balancer_all_reach_done_across_a_kill_9_of_the_worker_holding_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var conf = Path.Combine(cluster.DataDirectory, "supervisor", "supervisord.conf");
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var ids = new List<string>();

        // Queued while no worker runs, so the worker starts with all of them waiting and the kill below finds it busy:
        // enough of them that draining them takes the worker far longer than one look at the queue, however fast the
        // machine (thirty were once done before the first look).
        const int Reports = 200;
        var failedBefore = (await QueueAsync(admin)).Failed;
        await ClusterFixture.RunAsync("supervisorctl", "-c", conf, "stop", "apps:worker-1");
        for (var i = 0; i < Reports; i++)
        {
            using var queued = await admin.PostAsync(cluster.Balancer, "/api/reports");
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            ids.Add((await queued.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!);
        }

        await ClusterFixture.RunAsync("supervisorctl", "-c", conf, "start", "apps:worker-1");
        var pid = await cluster.PidOfAsync("apps:worker-1");
        Assert.True(pid > 0, "worker-1 is not running under supervisord");
        await Eventually.WaitAsync(() => QueueAsync(admin), q => q.Reserved > 0, TimeSpan.FromSeconds(60), "worker-1 to take jobs");
        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill();
            await victim.WaitForExitAsync(ct);
        }

        // The jobs it held are still reserved by the dead worker: they come back only after their visibility deadline.
        var afterKill = await QueueAsync(admin);
        var statuses = await Eventually.WaitAsync(
            async () =>
            {
                var seen = new List<string>();
                foreach (var id in ids)
                {
                    using var report = await admin.GetAsync(cluster.Balancer, $"/api/reports/{id}");
                    seen.Add((await report.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString()!);
                }

                return seen;
            },
            seen => seen.All(s => s is "done" or "failed"),
            TimeSpan.FromMinutes(3),
            "every report to finish");

        Assert.True(afterKill.Reserved > 0, $"the kill found worker-1 holding no job: {afterKill}");
        Assert.All(statuses, s => Assert.Equal("done", s));
        Assert.Equal(failedBefore, (await QueueAsync(admin)).Failed);
    }

    private async Task<QueueOverview> QueueAsync(Browser admin)
    {
        using var response = await admin.GetAsync(cluster.Balancer, "/api/admin/queue");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<QueueOverview>(TestContext.Current.CancellationToken))!;
    }

    private sealed record QueueOverview(long Pending, long Reserved, long Delayed, long Failed);
}
