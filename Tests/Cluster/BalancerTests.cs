using System.Diagnostics;
using System.Net;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 1 on the running cluster: round robin, active health checks, a dead replica out and back by itself.</summary>
[Collection("cluster")]
public sealed class BalancerTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Requests_are_spread_round_robin_over_both_replicas()
    {
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
    public async Task TLS_ends_at_the_balancer()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var https = new HttpClient(handler);

        var servedBy = await ServedByAsync(https, cluster.BalancerTls);

        Assert.StartsWith("web-", servedBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_replica_leaves_the_pool_without_failing_requests_and_comes_back_by_itself()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient();
        var pid = await cluster.PidOfAsync("apps:web-1");
        Assert.True(pid > 0, "web-1 is not running under supervisord");

        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill();
        }

        // While web-1 is dead and until HAProxy marks it down, retry-on and redispatch carry every GET to web-2.
        var failures = 0;
        var served = new List<string>();
        await Eventually.WaitAsync(
            async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Balancer, "/health/live")) { Headers = { ConnectionClose = true } };
                using var response = await http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                {
                    served.Add(response.Headers.GetValues("X-Served-By").Single());
                }
                else
                {
                    failures++;
                }

                return await cluster.BackendStatusAsync("web-1");
            },
            status => status.StartsWith("DOWN", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            "HAProxy to mark web-1 DOWN");

        await Eventually.WaitAsync(() => cluster.BackendStatusAsync("web-1"), status => status == "UP", TimeSpan.FromSeconds(60), "web-1 to be restarted and UP again");
        var afterwards = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            afterwards.Add(await ServedByAsync(http, cluster.Balancer));
        }

        Assert.Equal(0, failures);
        Assert.NotEmpty(served);
        Assert.NotEqual(pid, await cluster.PidOfAsync("apps:web-1"));
        Assert.Contains("web-1", afterwards);
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
