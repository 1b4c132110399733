using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using MySqlConnector;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 7 on the running cluster: only the balancer listens beyond loopback; every server wants credentials.</summary>
[Collection("cluster")]
public sealed partial class PrivateNetworkTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Only_the_balancer_listens_beyond_loopback()
    {
        // Every socket any process of the cluster listens on (supervisord and all it started, whatever the port),
        // not just the ports the cluster is configured with: a stray listener on a port nobody knows counts too.
        var tree = cluster.Processes();
        var (_, output) = await ClusterFixture.RunAsync("ss", "-ltunpH");
        var listeners = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => ProcessId().Matches(string.Join(' ', fields.Skip(6))).Any(m => tree.Contains(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))))
            .Select(fields => (Protocol: fields[0], Local: fields[4]))
            .Select(l => (l.Protocol, Address: l.Local[..l.Local.LastIndexOf(':')], Port: int.Parse(l.Local[(l.Local.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)))
            .ToList();
        string[] configured = ["LB_HTTP_PORT", "LB_HTTPS_PORT", "LB_STATS_PORT", "WEB1_PORT", "WEB2_PORT", "WORKER_PORT", "REDIS_PORT", "MYSQL_PORT", "S3_PORT"];

        var exposed = listeners.Where(l => l.Address is not ("127.0.0.1" or "[::1]")).Select(l => $"{l.Protocol} {l.Address}:{l.Port}").Distinct().Order(StringComparer.Ordinal);

        // The tree was found whole: each configured port is among its listeners.
        Assert.Subset(listeners.Select(l => l.Port).ToHashSet(), configured.Select(cluster.Port).ToHashSet());
        Assert.Equal([$"tcp 0.0.0.0:{cluster.Port("LB_HTTP_PORT")}", $"tcp 0.0.0.0:{cluster.Port("LB_HTTPS_PORT")}"], exposed);
    }

    [Fact]
    public async Task Redis_refuses_clients_without_the_password()
    {
        using var anonymous = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Port("REDIS_PORT")},abortConnect=false,connectTimeout=1000");
        var error = await Assert.ThrowsAnyAsync<RedisException>(() => anonymous.GetDatabase().StringGetAsync("anything"));

        using var authenticated = await cluster.ConnectRedisAsync();
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

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex ProcessId();
}
