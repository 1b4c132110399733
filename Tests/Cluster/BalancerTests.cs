using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 1 on the running cluster: round robin, active health checks, a dead replica out and back by itself.</summary>
[Collection("cluster")]
public sealed class BalancerTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Requests_are_spread_round_robin_over_both_replicas()
    {
        // A replica another test restarted may still be on its way back; an exact split needs both in the pool.
        await cluster.WaitUntilBothReplicasUpAsync();
        var servedBy = new List<string>();
        using var http = new HttpClient();
        for (var i = 0; i < 10; i++)
        {
            servedBy.Add(await ServedByAsync(http, cluster.Balancer));
        }

        Assert.Equal(5, servedBy.Count(s => s == "web-1"));
        Assert.Equal(5, servedBy.Count(s => s == "web-2"));
    }

    [Fact]
    public async Task TLS_ends_at_the_balancer_and_the_apps_see_the_original_scheme()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var https = new HttpClient(handler);
        var email = $"{Guid.NewGuid():N}@example.com";
        using var register = await https.PostAsJsonAsync(
            new Uri(cluster.BalancerTls, "/api/account/register"),
            new { email, password = "correct horse battery", displayName = "Tls" },
            TestContext.Current.CancellationToken);
        using var login = await https.PostAsJsonAsync(new Uri(cluster.BalancerTls, "/api/account/login"), new { email, password = "correct horse battery" }, TestContext.Current.CancellationToken);
        using var plain = await new HttpClient().GetAsync(new Uri(cluster.Balancer, "/health/live"), TestContext.Current.CancellationToken);

        // Secure cookies are issued only when the app knows the client used HTTPS (X-Forwarded-Proto from HAProxy).
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ss_auth=", StringComparison.Ordinal) && c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.True(login.Headers.Contains("Strict-Transport-Security"));
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task A_replica_killed_under_reads_and_writes_fails_only_writes_it_held_and_is_readmitted_after_its_restart()
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        var traffic = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var pid = await cluster.PidOfAsync("apps:web-1");
        Assert.True(pid > 0, "web-1 is not running under supervisord");
        await using var load = LoadGenerator.Start(traffic.Requests(reports: false), concurrency: 6);
        await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy.Keys.Count), n => n == 2, TimeSpan.FromSeconds(10), "load on both replicas");

        var killing = Stopwatch.GetTimestamp();
        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill();
            await victim.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var killed = Stopwatch.GetTimestamp();
        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-1"), s => s.StartsWith("DOWN", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "HAProxy to mark web-1 DOWN");
        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-1"), s => s == "UP", TimeSpan.FromSeconds(60), "web-1 restarted and UP again");
        load.ServedBy.Clear();
        await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy.GetValueOrDefault("web-1")), n => n > 0, TimeSpan.FromSeconds(10), "web-1 serving again");
        await load.StopAsync();

        // HAProxy retries reads and redispatches what it could not connect; a write web-1 had started when it died
        // may fail (retrying it could apply it twice), and nothing else may.
        Assert.All(load.Failures, f => Assert.True(
            UserTraffic.Writes.Contains(f.Request) && f.StartedAt < killed && f.EndedAt > killing,
            $"{f} failed, yet it was not a write in flight when web-1 was killed"));
        Assert.All([UserTraffic.Renames, UserTraffic.Uploads], w => Assert.True(load.SucceededBy.GetValueOrDefault(w)?.Count > 5, $"too few {w} succeeded"));
        await traffic.AssertStoredWholeAsync(cluster);
        Assert.NotEqual(pid, await cluster.PidOfAsync("apps:web-1"));
    }

    private static async Task<string> ServedByAsync(HttpClient http, Uri baseAddress)
    {
        // A new connection per request: round robin is per request, but a kept-alive connection would show it too.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, "/health/ready")) { Headers = { ConnectionClose = true } };
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Served-By").Single();
    }
}
