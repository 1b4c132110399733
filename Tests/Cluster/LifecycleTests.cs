using System.Net;
using System.Net.Sockets;
using Amazon.S3.Model;
using Dapper;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Cluster;

/// <summary>scripts/up is idempotent; scripts/down then scripts/up keeps the data.</summary>
[Collection("cluster")]
public sealed class LifecycleTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Running_up_again_while_up_changes_nothing()
    {
        string[] programs = ["apps:web-1", "apps:web-2", "apps:worker-1", "haproxy", "servers:redis", "servers:mariadb", "servers:s3"];
        var before = await Task.WhenAll(programs.Select(cluster.PidOfAsync));

        var (exitCode, output) = await cluster.RunScriptAsync("up");

        Assert.True(exitCode == 0, output);
        Assert.Contains("already running", output, StringComparison.Ordinal);
        Assert.Equal(before, await Task.WhenAll(programs.Select(cluster.PidOfAsync)));
    }

    [Fact]
    public async Task Data_survives_down_and_up()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = Guid.NewGuid().ToString("N");
        await WithRedisAsync(db => db.StringSetAsync($"survives:{marker}", marker));
        await WithDatabaseAsync(c => c.ExecuteAsync("CREATE TABLE IF NOT EXISTS survives (marker CHAR(32) PRIMARY KEY); INSERT INTO survives VALUES (@marker)", new { marker }));
        using (var s3 = cluster.S3())
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "uploads", Key = $"survives/{marker}", ContentBody = marker }, ct);
        }

        var email = $"{marker}@example.com";
        var picture = new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2, 3, 4, 5, 6 };
        using (var before = new Browser())
        {
            await before.SignUpAndInAsync(cluster.Balancer, email);
            using var upload = await before.PutAsync(cluster.Balancer, "/api/profile/picture", new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.gif" } });
            Assert.Equal(System.Net.HttpStatusCode.OK, upload.StatusCode);
        }

        var down = await cluster.RunScriptAsync("down");
        Assert.True(down.ExitCode == 0, down.Output);
        var up = await cluster.RunScriptAsync("up");
        Assert.True(up.ExitCode == 0, up.Output);

        Assert.Equal(marker, (string?)await WithRedisAsync(db => db.StringGetAsync($"survives:{marker}")));
        Assert.Equal(1, await WithDatabaseAsync(c => c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM survives WHERE marker = @marker", new { marker })));
        using (var s3 = cluster.S3())
        {
            using var stored = await s3.GetObjectAsync("uploads", $"survives/{marker}", ct);
            Assert.Equal(marker, await new StreamReader(stored.ResponseStream).ReadToEndAsync(ct));
        }

        using var after = new Browser();
        await after.SignUpAndInAsync(cluster.Balancer, email);
        using var redirect = await after.GetAsync(cluster.Balancer, "/api/profile/picture");
        using var http = new HttpClient();
        Assert.Equal(picture, await http.GetByteArrayAsync(redirect.Headers.Location, ct));
    }

    [Fact]
    public async Task A_port_in_use_is_named_with_the_process_that_holds_it()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        // Every other port is free, so the squatted one is the clash that must be reported.
        var overrides = new[] { "LB_HTTP_PORT", "LB_HTTPS_PORT", "LB_STATS_PORT", "WEB1_PORT", "WEB2_PORT", "WORKER_PORT", "REDIS_PORT", "MYSQL_PORT" }
            .ToDictionary(name => name, _ => FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        overrides["S3_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var other = new ClusterFixture.Settings(cluster.DataDirectory + "-port-clash", overrides);

        var (exitCode, output) = await cluster.RunScriptAsync("up", other);
        Directory.Delete(other.DataDirectory, recursive: true);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"port {port}", output, StringComparison.Ordinal);
        Assert.Contains($"in use by {System.Diagnostics.Process.GetCurrentProcess().ProcessName} (pid {Environment.ProcessId})", output, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<T> WithRedisAsync<T>(Func<IDatabase, Task<T>> use)
    {
        using var redis = await cluster.ConnectRedisAsync();
        return await use(redis.GetDatabase());
    }

    private async Task<T> WithDatabaseAsync<T>(Func<System.Data.Common.DbConnection, Task<T>> use)
    {
        await using var connection = await cluster.OpenDatabaseAsync();
        return await use(connection);
    }
}
