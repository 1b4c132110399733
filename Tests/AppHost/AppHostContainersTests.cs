using System.Net;
using SecondServer.AppHost;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>
/// The AppHost in containers mode, where a Docker engine answers. Images come from SECONDSERVER_TEST_REDIS_IMAGE,
/// _MYSQL_IMAGE and _S3_IMAGE (scripts/images builds local ones and names them there) or are the official defaults.
/// </summary>
[Collection("apphost")]
public sealed class AppHostContainersTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Containers_mode_serves_from_both_replicas_through_the_balancer()
    {
        var (answers, detail) = await ContainerRuntime.PingAsync(
            Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : ContainerRuntime.DefaultHost,
            TimeSpan.FromSeconds(1),
            Cancellation);
        if (!answers)
        {
            Assert.Skip($"Containers mode needs a Docker engine, and {detail}; scripts/images starts one.");
        }

        var defaults = new ImageOptions();
        var images = new Dictionary<string, string>
        {
            ["Redis"] = Environment.GetEnvironmentVariable("SECONDSERVER_TEST_REDIS_IMAGE") is { Length: > 0 } redis ? redis : defaults.Redis,
            ["MySql"] = Environment.GetEnvironmentVariable("SECONDSERVER_TEST_MYSQL_IMAGE") is { Length: > 0 } mysql ? mysql : defaults.MySql,
            ["S3"] = Environment.GetEnvironmentVariable("SECONDSERVER_TEST_S3_IMAGE") is { Length: > 0 } s3 ? s3 : defaults.S3,
        };
        foreach (var image in images.Values)
        {
            if (await MissingImageAsync(image) is { } why)
            {
                Assert.Skip($"{image} is not on this machine and {why}: build local images with scripts/images, which names them in SECONDSERVER_TEST_REDIS_IMAGE, _MYSQL_IMAGE and _S3_IMAGE.");
            }
        }

        await using var appHost = await RunningAppHost.StartAsync("containers", "apphost-containers", images.Select(i => $"--AppHost:Images:{i.Key}={i.Value}"), Cancellation);
        TestContext.Current.TestOutputHelper?.WriteLine($"Every resource was healthy {appHost.StartedIn.TotalSeconds:0.0} s after the AppHost was created.");

        using var browser = new Browser();
        var email = $"{TestEnvironment.NewName("containers")}@example.com";
        await browser.SignUpAndInAsync(appHost.Balancer, email);
        var servedBy = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var me = await browser.GetAsync(appHost.Balancer, "/api/me");
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            servedBy.Add(me.Headers.GetValues("X-Served-By").Single());
        }

        Assert.Equal(["web-1", "web-2"], servedBy.Order());
    }

    /// <summary>Null when the image is local or could be pulled; otherwise why not.</summary>
    private static async Task<string?> MissingImageAsync(string image)
    {
        if ((await DockerAsync(TimeSpan.FromSeconds(30), "image", "inspect", image)).ExitCode == 0)
        {
            return null;
        }

        var (exitCode, output) = await DockerAsync(TimeSpan.FromMinutes(5), "pull", image);
        return exitCode == 0 ? null : $"could not be pulled ({output.Trim().Split('\n').LastOrDefault()})";
    }

    private static async Task<(int ExitCode, string Output)> DockerAsync(TimeSpan timeout, params string[] arguments)
    {
        try
        {
            var (exitCode, output) = await ProcessRunner.RunAsync("docker", arguments, timeout, cancellationToken: Cancellation);
            return (exitCode, output);
        }
        catch (TimeoutException)
        {
            return (-1, $"docker {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
    }
}
