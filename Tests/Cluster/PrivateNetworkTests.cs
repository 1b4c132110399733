using System.Globalization;
using Dapper;
using MySqlConnector;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 7 on the running cluster: only the balancer listens beyond loopback; every server wants credentials.</summary>
[Collection("cluster")]
public sealed class PrivateNetworkTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Only_the_balancer_listens_beyond_loopback()
    {
        var (_, output) = await ClusterFixture.RunAsync("ss", "-ltnH");
        var listeners = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])
            .Select(local => (Address: local[..local.LastIndexOf(':')], Port: int.Parse(local[(local.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)))
            .ToList();
        string[] all = ["LB_HTTP_PORT", "LB_HTTPS_PORT", "LB_STATS_PORT", "WEB1_PORT", "WEB2_PORT", "WORKER_PORT", "REDIS_PORT", "MYSQL_PORT", "S3_PORT"];
        var clusterPorts = all.Select(cluster.Port).ToHashSet();
        var balancerPorts = new[] { cluster.Port("LB_HTTP_PORT"), cluster.Port("LB_HTTPS_PORT") };

        var ours = listeners.Where(l => clusterPorts.Contains(l.Port)).ToList();
        var exposed = ours.Where(l => l.Address is not ("127.0.0.1" or "[::1]")).Select(l => l.Port).Distinct().Order();

        Assert.Equal(clusterPorts.Order(), ours.Select(l => l.Port).Distinct().Order());
        Assert.Equal(balancerPorts.Order(), exposed);
    }

    [Fact]
    public async Task Redis_refuses_clients_without_the_password()
    {
        using var anonymous = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Port("REDIS_PORT")},abortConnect=false,connectTimeout=1000");
        var error = await Assert.ThrowsAnyAsync<RedisException>(() => anonymous.GetDatabase().StringGetAsync("anything"));

        using var authenticated = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Port("REDIS_PORT")},password={cluster.Secrets["REDIS_PASSWORD"]}");
        Assert.True((await authenticated.GetDatabase().PingAsync()) >= TimeSpan.Zero);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task MySQL_has_no_anonymous_or_passwordless_login_and_the_app_user_sees_only_appdb()
    {
        var server = $"Server=127.0.0.1;Port={cluster.Port("MYSQL_PORT")};SslMode=None;Pooling=false";
        foreach (var user in new[] { "User ID=", "User ID=root", "User ID=app" })
        {
            await using var anonymous = new MySqlConnection($"{server};{user}");
            await Assert.ThrowsAsync<MySqlException>(() => anonymous.OpenAsync(TestContext.Current.CancellationToken));
        }

        await using var connection = await TestDatabase.FactoryFor($"{server};User ID=app;Password={cluster.Secrets["MYSQL_APP_PASSWORD"]};Database=appdb")
            .OpenAsync(TestContext.Current.CancellationToken);
        var databases = (await connection.QueryAsync<string>("SHOW DATABASES")).ToList();

        Assert.Equal(["appdb", "information_schema"], databases.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_S3_server_refuses_anonymous_requests()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri($"http://127.0.0.1:{cluster.Port("S3_PORT")}/uploads"), TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
    }
}
