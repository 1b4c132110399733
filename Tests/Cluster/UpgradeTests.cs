using System.Net;
using System.Net.Http.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>
/// Rule 6 across releases: this release rolled out over the previous one (deploy/previous-release), with both
/// running side by side mid-deploy, loses no request and signs nobody out: the key ring, session tickets,
/// antiforgery tokens, cache entries, queue and schema the previous release wrote are read by this one.
/// </summary>
[Collection("cluster")]
public sealed class UpgradeTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Rolling_this_release_over_the_previous_one_under_reads_and_writes_fails_none_and_signs_nobody_out()
    {
        var ct = TestContext.Current.CancellationToken;
        var previous = await PreviousRelease.BuildAsync(ct);
        await cluster.WaitUntilBothReplicasUpAsync();
        // The cluster runs the previous release on data this release made (the rollback direction), then ...
        var back = await cluster.RunScriptAsync("deploy", null, "--release", previous);
        Assert.True(back.ExitCode == 0, back.Output);
        Assert.All(cluster.InstanceReleases(), r => Assert.Equal(Path.GetFileName(previous), r));

        // ... a user signs in and writes on it: session ticket, key ring, antiforgery token and cached profile are the previous release's.
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        using (var renamed = await browser.PutAsync(cluster.Balancer, "/api/profile", new { displayName = "Before the upgrade" }))
        {
            Assert.True(renamed.IsSuccessStatusCode, $"PUT /api/profile answered {(int)renamed.StatusCode}");
        }

        using (var cached = await browser.GetAsync(cluster.Balancer, "/api/me"))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        }

        var cookie = browser.Cookies.GetCookieHeader(cluster.Balancer);
        var token = browser.Cookie(cluster.Balancer, "XSRF-TOKEN")!;

        await using var reads = LoadGenerator.Start(new Uri(cluster.Balancer, "/api/me"), prepare: r =>
        {
            r.Headers.Add("Cookie", cookie);
            return r;
        });
        var written = 0;
        await using var writes = LoadGenerator.Start(new Uri(cluster.Balancer, "/api/profile"), concurrency: 2, prepare: r =>
        {
            r.Method = HttpMethod.Put;
            r.Headers.Add("Cookie", cookie);
            r.Headers.Add("X-XSRF-TOKEN", token);
            r.Content = JsonContent.Create(new { displayName = $"Write {Interlocked.Increment(ref written)}" });
            return r;
        });
        var (exitCode, output) = await cluster.RunScriptAsync("deploy");
        await reads.StopAsync();
        await writes.StopAsync();

        Assert.True(exitCode == 0, output);
        Assert.All(cluster.InstanceReleases(), r => Assert.NotEqual(Path.GetFileName(previous), r));
        Assert.Empty(reads.Failures);
        Assert.Empty(writes.Failures);
        Assert.True(reads.Succeeded > 100 && writes.Succeeded > 20, $"only {reads.Succeeded} reads and {writes.Succeeded} writes were made");
        foreach (var replica in new[] { cluster.Replica(1), cluster.Replica(2) })
        {
            using var me = await browser.GetAsync(replica, "/api/me");
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            using var write = await browser.PutAsync(replica, "/api/profile", new { displayName = "After the upgrade" });
            Assert.True(write.IsSuccessStatusCode, $"a token the previous release issued answered {(int)write.StatusCode} on {replica}");
        }

        using var after = await browser.GetAsync(cluster.Balancer, "/api/me");
        Assert.Equal("After the upgrade", (await after.Content.ReadFromJsonAsync<Me>(ct))!.DisplayName);
    }

    private sealed record Me(string Email, string DisplayName);
}
