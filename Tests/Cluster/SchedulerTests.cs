using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 5 on the running cluster: three processes run the scheduler, and each heartbeat slot runs on one of them.</summary>
[Collection("cluster")]
public sealed class SchedulerTests(ClusterFixture cluster)
{
    private static readonly string[] Instances = ["web-1", "web-2", "worker-1"];

    [Fact]
    public async Task Each_heartbeat_slot_runs_once_across_web_1_web_2_and_the_worker()
    {
        // Slots from now on only: the cluster is shared, and another test may just have run a replica on purpose with
        // another Redis, whose slots the history rightly shows as refused ("skipped-already-ran").
        var since = DateTimeOffset.UtcNow;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, "admin@example.com");

        // Three slots every process has recorded its try at.
        var slots = await Eventually.WaitAsync(
            async () => TriedByAll(await HeartbeatRunsAsync(browser), since),
            s => s.Count >= 3,
            TimeSpan.FromSeconds(60),
            "three heartbeat slots tried by all three processes");

        Assert.All(slots, slot =>
        {
            Assert.Equal(Instances, slot.Select(r => r.GetProperty("instance").GetString()).Order(StringComparer.Ordinal));
            Assert.Single(slot, r => r.GetProperty("status").GetString() == "ok");
            Assert.Equal(2, slot.Count(r => r.GetProperty("status").GetString() == "skipped-other-server"));
        });
    }

    private static List<IGrouping<DateTimeOffset, JsonElement>> TriedByAll(List<JsonElement> runs, DateTimeOffset since) =>
        [.. runs.GroupBy(r => r.GetProperty("slot").GetDateTimeOffset())
            .Where(g => g.Key >= since && g.Count() == Instances.Length && g.All(r => r.GetProperty("status").GetString() != "running"))];

    private async Task<List<JsonElement>> HeartbeatRunsAsync(Browser browser)
    {
        using var response = await browser.GetAsync(cluster.Balancer, "/api/admin/schedule/runs?job=heartbeat&limit=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).EnumerateArray()];
    }
}
