using System.Net;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Health;

/// <summary>Readiness follows the real dependencies: a server stopped for real turns it 503 naming the culprit; back, and it is 200 again.</summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, null, Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Redis_going_away_and_coming_back_turns_readiness_503_then_200()
    {
        var password = Guid.NewGuid().ToString("N");
        await using var redis = await ServerContainer.StartRedisAsync(password);
        await using var web = await _cluster.StartWebAsync("web-ready-redis", Ct, s => s["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port},password={password}", wait: HostWait.Started);

        await WaitForReadinessAsync(web, HttpStatusCode.OK);
        await redis.StopAsync();
        var down = await WaitForReadinessAsync(web, HttpStatusCode.ServiceUnavailable);
        await redis.StartAsync();
        await WaitForReadinessAsync(web, HttpStatusCode.OK);

        Assert.Equal("Unhealthy", CheckStatus(down, "redis"));
        Assert.Equal("Healthy", CheckStatus(down, "mysql"));
    }

    [Fact]
    public async Task S3_going_away_and_coming_back_turns_readiness_503_then_200()
    {
        await using var s3 = await ServerContainer.StartS3Async("ready-key", "ready-secret");
        await using var web = await _cluster.StartWebAsync(
            "web-ready-s3",
            Ct,
            s => s["ConnectionStrings:uploads"] = $"Endpoint=http://127.0.0.1:{s3.Port};AccessKey=ready-key;SecretKey=ready-secret",
            wait: HostWait.Started);

        await WaitForReadinessAsync(web, HttpStatusCode.OK);
        await s3.StopAsync();
        var down = await WaitForReadinessAsync(web, HttpStatusCode.ServiceUnavailable);
        await s3.StartAsync();
        await WaitForReadinessAsync(web, HttpStatusCode.OK);

        Assert.Equal("Unhealthy", CheckStatus(down, "s3"));
        Assert.Equal("Healthy", CheckStatus(down, "redis"));
    }

    [Fact]
    public async Task A_host_started_while_MySQL_is_unreachable_starts_and_reports_it()
    {
        await using var web = await _cluster.StartWebAsync(
            "web-no-mysql",
            Ct,
            s => s["ConnectionStrings:appdb"] = "Server=127.0.0.1;Port=1;User ID=nobody;Password=x;Database=appdb;Connection Timeout=1",
            wait: HostWait.Started);

        var report = await WaitForReadinessAsync(web, HttpStatusCode.ServiceUnavailable);
        var live = await web.Client.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal("Unhealthy", CheckStatus(report, "mysql"));
        Assert.Equal("Unhealthy", CheckStatus(report, "migrations"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Stopping_turns_readiness_503_while_the_instance_still_serves()
    {
        var ct = TestContext.Current.CancellationToken;
        // A drain window far longer than the test, ended by the test itself once it has seen what it came for: the
        // host's stop token cuts the drain short, as its shutdown timeout would.
        var web = await _cluster.StartWebAsync("web-lame-duck", ct, s => s["Shutdown:DrainDelay"] = "00:05:00", wait: HostWait.Started);
        await WaitForReadinessAsync(web, HttpStatusCode.OK);

        using var endDrain = new CancellationTokenSource();
        var stopping = web.StopAsync(endDrain.Token);
        var report = await WaitForReadinessAsync(web, HttpStatusCode.ServiceUnavailable);
        var live = await web.Client.GetAsync(new Uri("/health/live", UriKind.Relative), ct);
        var stillDraining = !stopping.IsCompleted;
        await endDrain.CancelAsync();
        await stopping;
        await web.DisposeAsync();

        Assert.Equal("Unhealthy", CheckStatus(report, "shutdown"));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.True(stillDraining, "the host stopped before the test ended its drain window");
    }

    [Fact]
    public async Task Every_response_names_the_instance_that_served_it()
    {
        await using var web = await _cluster.StartWebAsync("web-7", Ct, wait: HostWait.Started);

        var response = await web.Client.GetAsync(new Uri("/no/such/page", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("web-7", Assert.Single(response.Headers.GetValues("X-Served-By")));
    }

    private static async Task<JsonElement> WaitForReadinessAsync(TestHost host, HttpStatusCode expected)
    {
        var (_, body) = await Eventually.WaitAsync(
            async () =>
            {
                using var response = await host.Client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            },
            r => r.StatusCode == expected,
            TimeSpan.FromSeconds(30),
            $"readiness {(int)expected}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string? CheckStatus(JsonElement report, string check) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == check).GetProperty("status").GetString();
}
