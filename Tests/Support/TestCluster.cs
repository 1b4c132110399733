using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Tests.Support;

/// <summary>
/// What an integration test runs against, in one call: a database of its own, the settings its replicas share (that
/// database, a Redis key prefix, a bucket, on the suite's Redis and S3 server), Web and Worker hosts in the test
/// process, ready. More hosts can join it later; disposing it stops every host it started and drops the database.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly List<TestHost> _hosts = [];
    private readonly List<TestHost> _webs = [];
    private readonly List<TestHost> _workers = [];

    private TestCluster(TestDatabase database, TestClusterOptions options)
    {
        Database = database;
        _options = options;
    }

    public TestDatabase Database { get; }

    /// <summary>The settings every host of the cluster starts with; a host started later reads them as they are then.</summary>
    public Dictionary<string, string?> Settings => _options.Settings;

    /// <summary>The n-th Web host <see cref="StartAsync"/> started (from 1).</summary>
    public TestHost Web(int n = 1) => _webs[n - 1];

    /// <summary>The n-th Worker host <see cref="StartAsync"/> started (from 1).</summary>
    public TestHost Worker(int n = 1) => _workers[n - 1];

    /// <summary>
    /// Starts <paramref name="webs"/> Web and <paramref name="workers"/> Worker hosts (named web-1..., worker-1...
    /// unless <see cref="TestClusterOptions.Name"/> says otherwise) and waits until each one's readiness answers 200.
    /// </summary>
    public static async Task<TestCluster> StartAsync(int webs, int workers, Action<TestClusterOptions>? configure, CancellationToken cancellationToken)
    {
        var database = await TestDatabase.CreateAsync();
        var options = new TestClusterOptions(SharedSettings(database.ConnectionString));
        configure?.Invoke(options);
        var cluster = new TestCluster(database, options);
        try
        {
            // The Web hosts boot together onto an empty database and key ring, the first-boot race the migration
            // lock and the key ring maintainer are there for; the workers join them, as after a deploy.
            cluster._webs.AddRange(await Task.WhenAll(Enumerable.Range(1, webs).Select(n =>
                cluster.StartHostAsync(TestHost.StartWebAsync, options.InstanceName("web", n), null, options.ConfigureWeb, HostWait.Started, cancellationToken))));
            cluster._workers.AddRange(await Task.WhenAll(Enumerable.Range(1, workers).Select(n =>
                cluster.StartHostAsync(TestHost.StartWorkerAsync, options.InstanceName("worker", n), null, options.ConfigureWorker, HostWait.Started, cancellationToken))));
            await Task.WhenAll(cluster._hosts.Select(h => h.WaitUntilReadyAsync(cancellationToken)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// Another Web host on the cluster's settings (changed for this host alone by <paramref name="settings"/>), with
    /// the cluster's <see cref="TestClusterOptions.ConfigureWeb"/> and then <paramref name="configure"/>.
    /// </summary>
    public Task<TestHost> StartWebAsync(
        string instanceId,
        CancellationToken cancellationToken,
        Action<Dictionary<string, string?>>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        HostWait wait = HostWait.Ready) =>
        StartHostAsync(TestHost.StartWebAsync, instanceId, settings, _options.ConfigureWeb + configure, wait, cancellationToken);

    /// <summary>Another Worker host, as <see cref="StartWebAsync"/> starts a Web host.</summary>
    public Task<TestHost> StartWorkerAsync(
        string instanceId,
        CancellationToken cancellationToken,
        Action<Dictionary<string, string?>>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        HostWait wait = HostWait.Ready) =>
        StartHostAsync(TestHost.StartWorkerAsync, instanceId, settings, _options.ConfigureWorker + configure, wait, cancellationToken);

    /// <summary>Stops the hosts, the last started first, then drops the database.</summary>
    public async ValueTask DisposeAsync()
    {
        List<TestHost> hosts;
        lock (_hosts)
        {
            hosts = [.. _hosts];
        }

        hosts.Reverse();
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    /// <summary>What a set of replicas shares: one database, one Redis key prefix, one bucket.</summary>
    private static Dictionary<string, string?> SharedSettings(string databaseConnectionString) => new()
    {
        ["ConnectionStrings:appdb"] = databaseConnectionString,
        ["Redis:KeyPrefix"] = TestEnvironment.NewName("t") + ":",
        ["Storage:Bucket"] = TestEnvironment.NewName("sstest-"),
        ["Shutdown:DrainDelay"] = "00:00:00",
    };

    private async Task<TestHost> StartHostAsync(
        Func<string, IDictionary<string, string?>, Action<WebApplicationBuilder>?, CancellationToken, Task<TestHost>> start,
        string instanceId,
        Action<Dictionary<string, string?>>? adjust,
        Action<WebApplicationBuilder>? configure,
        HostWait wait,
        CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>(Settings);
        adjust?.Invoke(settings);
        var host = await start(instanceId, settings, configure, cancellationToken);
        lock (_hosts)
        {
            _hosts.Add(host);
        }

        switch (wait)
        {
            case HostWait.Ready:
                await host.WaitUntilReadyAsync(cancellationToken);
                break;
            case HostWait.Migrated:
                await host.Services.GetRequiredService<MigrationState>().WhenAppliedAsync(cancellationToken);
                break;
        }

        return host;
    }
}

/// <summary>How a <see cref="TestCluster"/> starts: the shared settings, what every Web or Worker host adds, the hosts' names.</summary>
internal sealed class TestClusterOptions(Dictionary<string, string?> settings)
{
    /// <summary>The settings every host starts with, filled with what replicas share; change or add to them.</summary>
    public Dictionary<string, string?> Settings { get; } = settings;

    /// <summary>When set, the hosts are web-NAME and worker-NAME (web-NAME-2... past the first), not web-1, worker-1.</summary>
    public string? Name { get; set; }

    /// <summary>Runs on every Web host's builder after the test settings, e.g. to register a <see cref="ManualTimeProvider"/>.</summary>
    public Action<WebApplicationBuilder>? ConfigureWeb { get; set; }

    /// <summary>Runs on every Worker host's builder after the test settings.</summary>
    public Action<WebApplicationBuilder>? ConfigureWorker { get; set; }

    /// <summary>Adds <paramref name="configure"/> to every host, Web and Worker.</summary>
    public void ConfigureHosts(Action<WebApplicationBuilder> configure)
    {
        ConfigureWeb += configure;
        ConfigureWorker += configure;
    }

    internal string InstanceName(string role, int n) => Name is null ? $"{role}-{n}" : n == 1 ? $"{role}-{Name}" : $"{role}-{Name}-{n}";
}

/// <summary>What starting a host into a <see cref="TestCluster"/> waits for.</summary>
internal enum HostWait
{
    /// <summary><c>/health/ready</c> answers 200: migrations applied, key ring in place, every dependency reachable.</summary>
    Ready,

    /// <summary>The migrations are applied; the host may still find a dependency unreachable (a test's own clock or server decides).</summary>
    Migrated,

    /// <summary>Kestrel listens; readiness is the test's own business.</summary>
    Started,
}
