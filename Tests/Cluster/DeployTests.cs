using System.Net;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 6 on the running cluster: rolling deploys and rollbacks with no failed request.</summary>
[Collection("cluster")]
public sealed class DeployTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_rolling_deploy_under_continuous_authenticated_reads_and_writes_fails_none()
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        // An administrator, so report requests (POST) join the reads, renames and uploads.
        var traffic = await UserTraffic.SignInAsync(cluster.Balancer, "admin@example.com");
        var before = cluster.InstanceReleases();
        var since = DateTime.UtcNow;

        await using var load = LoadGenerator.Start(traffic.Requests(reports: true));
        var (exitCode, output) = await cluster.RunScriptAsync("deploy");
        await load.StopAsync();
        var after = cluster.InstanceReleases();

        Assert.True(exitCode == 0, output);
        Assert.Empty(load.Failures);
        Assert.True(load.Succeeded > 100, $"only {load.Succeeded} requests were made");
        Assert.All(UserTraffic.Writes, w => Assert.True(load.SucceededBy.GetValueOrDefault(w)?.Count > 5, $"too few {w} were made"));
        Assert.All(after, r => Assert.NotEqual(before[0], r));
        Assert.Single(after.Distinct());
        // In the pool: HAProxy's "UP 1/2" is still UP, with one failed check counted on a busy machine.
        Assert.StartsWith("UP", await cluster.BackendStatusAsync("web-1"), StringComparison.Ordinal);
        Assert.StartsWith("UP", await cluster.BackendStatusAsync("web-2"), StringComparison.Ordinal);
        // Every report request answered 202 left a report, and every report was built. There may be more reports than
        // 202s: a request still in flight when the load stopped is not counted, yet its report was made.
        var reports = await traffic.ReportsSinceAsync(cluster, since);
        Assert.Equal(["done"], reports.Keys);
        Assert.InRange(reports["done"], load.SucceededBy[UserTraffic.ReportRequests].Count, int.MaxValue);
        await traffic.AssertStoredWholeAsync(cluster);
        Assert.Contains("<td class=\"status-ok\">ok</td>", await RecordedDeployAsync(after[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_release_that_never_becomes_healthy_is_rolled_back_and_the_cluster_keeps_serving()
    {
        var current = cluster.InstanceReleases()[0];
        var broken = Path.Combine(Path.GetTempPath(), $"{current}-broken-{Guid.NewGuid():N}"[..60]);
        CopyDirectory(Path.Combine(cluster.DataDirectory, "releases", current), broken);
        // Valid enough to start, invalid configuration once it does: the process exits at startup, again and again.
        await File.WriteAllTextAsync(Path.Combine(broken, "web", "appsettings.Production.json"), """{ "Storage": { "Bucket": "Not_A_Bucket" } }""", TestContext.Current.CancellationToken);

        await using var load = LoadGenerator.Start(new Uri(cluster.Balancer, "/health/live"));
        var (exitCode, output) = await cluster.RunScriptAsync("deploy", null, "--release", broken);
        await load.StopAsync();
        Directory.Delete(broken, recursive: true);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("rolling it back", output, StringComparison.Ordinal);
        Assert.Empty(load.Failures);
        Assert.Equal([current, current, current], cluster.InstanceReleases());
        Assert.Contains("<td class=\"status-failed\">failed: web-1: ", await RecordedDeployAsync(Path.GetFileName(broken)), StringComparison.Ordinal);
        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-1"), s => s == "UP", TimeSpan.FromSeconds(30), "web-1 UP again");
        Assert.StartsWith("UP", await cluster.BackendStatusAsync("web-2"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deploy_refuses_while_a_replica_is_down_or_another_deploy_runs()
    {
        var conf = Path.Combine(cluster.DataDirectory, "supervisor", "supervisord.conf");
        await ClusterFixture.RunAsync("supervisorctl", "-c", conf, "stop", "apps:web-2");
        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-2"), s => s.StartsWith("DOWN", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "web-2 DOWN");
        var whileDown = await cluster.RunScriptAsync("deploy");
        await ClusterFixture.RunAsync("supervisorctl", "-c", conf, "start", "apps:web-2");
        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-2"), s => s == "UP", TimeSpan.FromSeconds(60), "web-2 UP");

        // The holder waits for the lock rather than giving up: the probe below takes it for an instant too.
        await using var holder = ProcessRunner.Start("flock", ["-w", "10", Path.Combine(cluster.DataDirectory, "deploy.lock"), "sleep", "60"]);
        await Eventually.WaitAsync(
            async () => (await ClusterFixture.RunAsync("flock", "-n", Path.Combine(cluster.DataDirectory, "deploy.lock"), "true")).ExitCode,
            code => code != 0, TimeSpan.FromSeconds(10), "the lock to be held");
        var whileLocked = await cluster.RunScriptAsync("deploy");
        await holder.KillAsync();

        Assert.NotEqual(0, whileDown.ExitCode);
        Assert.Contains("web-2 is DOWN", whileDown.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, whileLocked.ExitCode);
        Assert.Contains("another deploy is running", whileLocked.Output, StringComparison.Ordinal);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    /// <summary>The cluster page's line for the deploy of <paramref name="release"/>, which scripts/deploy recorded as it ended.</summary>
    private async Task<string> RecordedDeployAsync(string release)
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        using var page = await admin.GetAsync(cluster.Balancer, "/admin/cluster");
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var start = html.IndexOf($"<tr data-deploy=\"{release}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the cluster page lists no deploy of {release}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }
}
