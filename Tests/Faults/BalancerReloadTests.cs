using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// HAProxy reloaded with a changed configuration (scripts/up applies it) while a user works through it, one replica
/// drained by an operator: no request fails, and the drained replica is still drained under the new configuration.
/// </summary>
[Collection("cluster")]
public sealed class BalancerReloadTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_configuration_change_reloads_HAProxy_under_load_with_no_failed_request_and_the_drain_kept()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.WaitUntilBothReplicasUpAsync();
        var settings = Path.Combine(cluster.DataDirectory, "cluster.env");
        var original = await File.ReadAllTextAsync(settings, ct);
        var statsPort = cluster.Port("LB_STATS_PORT");
        // Clear of every other test port, for any port offset (see ClusterFixture.Ports).
        var movedStatsPort = statsPort + 50;
        var user = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var workerBefore = await WorkerPidAsync();
        await cluster.SetReplicaStateAsync("web-2", "drain");
        var load = LoadGenerator.Start(user.Requests(reports: false), concurrency: 4, bound: TimeSpan.FromMinutes(4));
        ProcessResult reload;
        string drainedAfter, workerAfter;
        long servedBefore;
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(load.Succeeded), n => n >= 20, TimeSpan.FromSeconds(60), "the load to get going");
            servedBefore = load.Succeeded;

            // The change: the stats page moves to another port, in the cluster's remembered settings.
            await File.WriteAllTextAsync(settings, original.Replace($"LB_STATS_PORT={statsPort}", $"LB_STATS_PORT={movedStatsPort}", StringComparison.Ordinal), ct);
            reload = await cluster.RunScriptAsync("up");
            drainedAfter = await cluster.BackendStatusAsync("web-2");
            workerAfter = await WorkerPidAsync();
            // The old worker lets go of its listeners as it hands over; give it the moment that takes.
            await Eventually.WaitAsync(
                async () => await AnswersAsync(movedStatsPort) && !await AnswersAsync(statsPort), moved => moved, TimeSpan.FromSeconds(15), "the stats page to move");

            // Load keeps flowing through the new worker for a while.
            var servedAtReload = load.Succeeded;
            await Eventually.WaitAsync(() => Task.FromResult(load.Succeeded), n => n >= servedAtReload + 40, TimeSpan.FromSeconds(60), "requests through the reloaded balancer");
            await load.FinishAsync();
        }
        finally
        {
            await load.DisposeAsync();
            await File.WriteAllTextAsync(settings, original, CancellationToken.None);
            await cluster.RunScriptAsync("up");
            await cluster.SetReplicaStateAsync("web-2", "ready");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{load.Succeeded} requests ({servedBefore} before the reload), {load.Failures.Count} failed, slowest {load.Slowest.TotalMilliseconds:F0} ms; served by " +
            string.Join(", ", load.ServedBy.Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(reload.ExitCode == 0, reload.Output);
        Assert.Contains("reloading HAProxy", reload.Output, StringComparison.Ordinal);
        Assert.NotEqual(workerBefore, workerAfter);
        Assert.Equal("DRAIN", drainedAfter);
        Assert.Empty(load.Failures);
        Assert.Equal(["web-1"], load.ServedBy.Keys);
        await user.AssertStoredWholeAsync(cluster);
        await cluster.WaitUntilBothReplicasUpAsync();
    }

    private async Task<string> WorkerPidAsync() =>
        (await cluster.HaproxyAsync("show info")).Split('\n').Single(l => l.StartsWith("Pid: ", StringComparison.Ordinal))[5..].Trim();

    private static async Task<bool> AnswersAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), TestContext.Current.CancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
