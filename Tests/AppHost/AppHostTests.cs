using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>
/// The AppHost in executables mode, used only through its balancer as a visitor would: both replicas serve, a
/// session made on one is read on the other, a report goes through the worker, and a replica stopped through the
/// resource API (the dashboard's Stop button) costs no request.
/// </summary>
[Collection("apphost")]
public sealed class AppHostTests(AppHostFixture fixture)
{
    private RunningAppHost AppHost => fixture.Running;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Both_replicas_answer_through_the_balancer()
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"Every resource was healthy {AppHost.StartedIn.TotalSeconds:0.0} s after the AppHost was created.");
        using var http = new HttpClient();
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await http.GetAsync(new Uri(AppHost.Balancer, "/health/ready"), Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servedBy.Add(response.Headers.GetValues("X-Served-By").Single());
        }

        Assert.Equal(["web-1", "web-2"], servedBy.Order());
    }

    [Fact]
    public async Task An_account_signed_in_on_one_replica_reads_its_profile_on_the_other()
    {
        using var browser = new Browser();
        var email = $"{TestEnvironment.NewName("apphost")}@example.com";
        using (var registered = await browser.PostAsync(AppHost.Balancer, "/api/account/register", new { email, password = "correct horse battery", displayName = "Ada" }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using var login = await browser.PostAsync(AppHost.Balancer, "/api/account/login", new { email, password = "correct horse battery" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var signedInOn = login.Headers.GetValues("X-Served-By").Single();

        // Round robin: the next request or the one after goes to the other replica.
        var (servedBy, me) = await Eventually.WaitAsync(
            async () =>
            {
                using var response = await browser.GetAsync(AppHost.Balancer, "/api/me");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (response.Headers.GetValues("X-Served-By").Single(), await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation));
            },
            r => r.Item1 != signedInOn,
            TimeSpan.FromSeconds(10),
            $"/api/me served by the replica other than {signedInOn}");

        Assert.Contains(servedBy, new[] { "web-1", "web-2" });
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal("Ada", me.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task A_report_queued_through_the_balancer_reaches_done_through_the_worker()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(AppHost.Balancer, "admin@example.com");
        using var queued = await admin.PostAsync(AppHost.Balancer, "/api/reports");
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var id = (await queued.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("id").GetString();

        var status = await Eventually.WaitAsync(
            async () =>
            {
                using var report = await admin.GetAsync(AppHost.Balancer, $"/api/reports/{id}");
                return (await report.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("status").GetString();
            },
            s => s is "done" or "failed",
            TimeSpan.FromMinutes(2),
            $"report {id} to finish");

        Assert.Equal("done", status);
    }

    [Fact]
    public async Task A_replica_stopped_through_the_resource_api_costs_no_request()
    {
        var page = new Uri(AppHost.Balancer, "/");
        // A signed-in user's reads and writes (renames, picture uploads), as in the cluster's deploy test: HAProxy
        // retries only the reads, so a write that met the stopping replica would fail here.
        var traffic = await UserTraffic.SignInAsync(AppHost.Balancer, $"{Guid.NewGuid():N}@example.com");
        try
        {
            await using var load = LoadGenerator.Start(traffic.Requests(reports: false), concurrency: 2, bound: TimeSpan.FromMinutes(3));
            await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy.Count), n => n == 2, TimeSpan.FromSeconds(30), "both replicas serving the load");

            // Aspire waits about 15 s for the process to end and reports a failure past that, while the replica goes on
            // stopping (3 s of drain first, then in-flight work): on a loaded machine it can take longer. What counts is
            // that it stops, and that no request fails meanwhile.
            var stop = await AppHost.App.ResourceCommands.ExecuteCommandAsync("web-2", KnownResourceCommands.StopCommand, Cancellation);
            TestContext.Current.TestOutputHelper?.WriteLine($"stop command: {(stop.Success ? "done" : stop.Message)}");
            await AppHost.WaitStoppedAsync("web-2", TimeSpan.FromMinutes(1), Cancellation);
            TestContext.Current.TestOutputHelper?.WriteLine(AppHost.LastLines("web-2"));
            var servedByWeb2 = load.ServedBy["web-2"];

            // web-2 is gone: the load goes on, all of it on web-1, for a good while after.
            var servedByWeb1 = load.ServedBy["web-1"];
            await Eventually.WaitAsync(() => Task.FromResult(load.ServedBy["web-1"]), n => n > servedByWeb1 + 100, TimeSpan.FromSeconds(60), "web-1 to serve 100 more requests");
            await load.StopAsync();

            Assert.Empty(load.Failures);
            Assert.All(new[] { UserTraffic.Renames, UserTraffic.Uploads }, w => Assert.True(load.SucceededBy.GetValueOrDefault(w)?.Count > 5, $"too few {w} were made"));
            Assert.Equal(servedByWeb2, load.ServedBy["web-2"]);
        }
        finally
        {
            // Back as the dashboard's Start button would, so the other tests find both replicas again.
            await AppHost.App.ResourceCommands.ExecuteCommandAsync("web-2", KnownResourceCommands.StartCommand, Cancellation);
            await AppHost.WaitHealthyAsync("web-2", TimeSpan.FromMinutes(2), Cancellation);
        }

        using var http = new HttpClient();
        await Eventually.WaitAsync(
            async () =>
            {
                using var response = await http.GetAsync(page, Cancellation);
                return response.Headers.TryGetValues("X-Served-By", out var by) ? by.Single() : "?";
            },
            by => by == "web-2",
            TimeSpan.FromSeconds(30),
            "the balancer to send requests to the restarted web-2 again");
    }
}
