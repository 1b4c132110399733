using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 4 on the running cluster: reports queued through the balancer all get done, the worker killed midway.</summary>
[Collection("cluster")]
public sealed class QueueTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Thirty_reports_queued_through_the_balancer_all_reach_done_across_a_kill_9_of_the_worker()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var ids = new List<string>();

        for (var i = 0; i < 30; i++)
        {
            if (i == 15)
            {
                // Midway: jobs the worker holds die with it and come back after their visibility deadline.
                var pid = await cluster.PidOfAsync("apps:worker-1");
                Assert.True(pid > 0, "worker-1 is not running under supervisord");
                using var victim = Process.GetProcessById(pid);
                victim.Kill();
            }

            using var queued = await admin.PostAsync(cluster.Balancer, "/api/reports");
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            ids.Add((await queued.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!);
        }

        var statuses = await Eventually.WaitAsync(
            async () =>
            {
                var seen = new List<string>();
                foreach (var id in ids)
                {
                    using var report = await admin.GetAsync(cluster.Balancer, $"/api/reports/{id}");
                    seen.Add((await report.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString()!);
                }

                return seen;
            },
            seen => seen.All(s => s is "done" or "failed"),
            TimeSpan.FromMinutes(3),
            "every report to finish");

        Assert.All(statuses, s => Assert.Equal("done", s));
    }
}
