using System.Globalization;
using SecondServer.Infrastructure.Diagnostics.Balancer;

namespace SecondServer.Tests.Support;

/// <summary>
/// A whole cluster started by the real <c>scripts/up</c> (supervisord, HAProxy, two web replicas, a worker,
/// Redis, MariaDB, the S3 server) on test-only ports and its own data folder, and stopped by <c>scripts/down</c>.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    // Test-only ports, shifted by SECONDSERVER_TEST_PORT_OFFSET like the rest of the suite's servers. No two of them
    // (nor the suite's own servers' ports) lie a multiple of 100 apart, so checkouts testing with offsets 100, 200...
    // never collide.
    private static readonly Dictionary<string, string> Ports = new Dictionary<string, int>
    {
        ["LB_HTTP_PORT"] = 18085,
        ["LB_HTTPS_PORT"] = 18445,
        ["LB_STATS_PORT"] = 18406,
        ["WEB1_PORT"] = 15101,
        ["WEB2_PORT"] = 15102,
        ["WORKER_PORT"] = 15103,
        ["REDIS_PORT"] = 16390,
        ["MYSQL_PORT"] = 13317,
        ["S3_PORT"] = 19010,
    }.ToDictionary(p => p.Key, p => (p.Value + PortOffset).ToString(CultureInfo.InvariantCulture));

    private static int PortOffset => int.TryParse(Environment.GetEnvironmentVariable("SECONDSERVER_TEST_PORT_OFFSET"), CultureInfo.InvariantCulture, out var offset) ? offset : 0;

    public string DataDirectory { get; } = Path.Combine(TestEnvironment.RepositoryRoot, ".data", "cluster-test");

    public Uri Balancer => new($"http://127.0.0.1:{Ports["LB_HTTP_PORT"]}");

    public Uri BalancerTls => new($"https://127.0.0.1:{Ports["LB_HTTPS_PORT"]}");

    public Uri Replica(int n) => new($"http://127.0.0.1:{Ports[$"WEB{n}_PORT"]}");

    public int Port(string name) => int.Parse(Ports[name], CultureInfo.InvariantCulture);

    /// <summary>HAProxy's runtime API socket, as the cluster's replicas and scripts/doctor reach it.</summary>
    private string RuntimeApi => Path.Combine(DataDirectory, "haproxy", "admin.sock");

    public IReadOnlyDictionary<string, string> Secrets { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        if (Directory.Exists(DataDirectory))
        {
            await RunScriptAsync("down");
            Directory.Delete(DataDirectory, recursive: true);
        }

        var (exitCode, output) = await RunScriptAsync("up");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"scripts/up failed with {exitCode}:\n{output}");
        }

        Secrets = File.ReadAllLines(Path.Combine(DataDirectory, "secrets.env"))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    public async ValueTask DisposeAsync() => await RunScriptAsync("down");

    /// <summary>Runs scripts/NAME against this cluster's data folder and ports, or against <paramref name="other"/>.</summary>
    internal Task<ProcessResult> RunScriptAsync(string name, Settings? other = null, params string[] arguments) =>
        ProcessRunner.RunAsync(Path.Combine(TestEnvironment.RepositoryRoot, "scripts", name), arguments, TimeSpan.FromMinutes(6), start =>
        {
            start.Environment["SECONDSERVER_DATA"] = other?.DataDirectory ?? DataDirectory;
            start.Environment["LB_BIND"] = "0.0.0.0";
            foreach (var (key, value) in Ports)
            {
                start.Environment[key] = other?.Overrides.GetValueOrDefault(key) ?? value;
            }
        });

    /// <summary>supervisord and every process below it: the whole running cluster, whatever each program started.</summary>
    public HashSet<int> Processes() =>
        ProcessTree(int.Parse(File.ReadAllText(Path.Combine(DataDirectory, "supervisor", "supervisord.pid")).Trim(), CultureInfo.InvariantCulture));

    /// <summary>Runs supervisorctl against this cluster's supervisord (e.g. "stop", "servers:s3").</summary>
    internal Task<ProcessResult> SupervisorAsync(params string[] arguments) =>
        RunAsync("supervisorctl", ["-c", Path.Combine(DataDirectory, "supervisor", "supervisord.conf"), .. arguments]);

    /// <summary>The process id supervisord reports for one program (0 when it is not running).</summary>
    public async Task<int> PidOfAsync(string program)
    {
        var (_, output) = await SupervisorAsync("pid", program);
        return int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    /// <summary>The release folder each instance (web-1, web-2, worker-1) runs now.</summary>
    public string[] InstanceReleases() =>
        [.. new[] { "web-1", "web-2", "worker-1" }.Select(i => Path.GetFileName(new DirectoryInfo(Path.Combine(DataDirectory, "instances", i)).LinkTarget!))];

    /// <summary>
    /// Runs web-<paramref name="n"/> outside supervisord, on its own port and under its own name (so HAProxy takes it
    /// for web-N), with the cluster's settings as scripts/lib/cluster.sh writes them except <paramref name="overrides"/>
    /// (e.g. its Redis address pointed at a forwarder of its own). Disposing it stops it gracefully and hands web-N
    /// back to supervisord.
    /// </summary>
    public async Task<IAsyncDisposable> ReplaceReplicaAsync(int n, IReadOnlyDictionary<string, string> overrides)
    {
        var instance = $"web-{n}";
        await SupervisorAsync("stop", $"apps:{instance}");
        var web = Path.Combine(DataDirectory, "instances", instance, "web");
        string[] arguments =
        [
            "-c",
            """
            set -euo pipefail
            source scripts/lib/common.sh; source scripts/lib/servers.sh; source scripts/lib/cluster.sh
            load_cluster_settings; load_secrets
            mapfile -t settings < <(app_settings)
            instance="$1" web="$2" port="$3"; shift 3
            cd "$web"
            # Exported, not passed to env: the settings hold the cluster's passwords, and no command line may.
            for setting in "${settings[@]}" App__InstanceId="$instance" "$@"; do export "${setting?}"; done
            exec "$(command -v dotnet)" "$web/Web.dll" --urls "http://127.0.0.1:$port"
            """,
            "replace", instance, web, Ports[$"WEB{n}_PORT"],
            .. overrides.Select(o => $"{o.Key.Replace(":", "__", StringComparison.Ordinal)}={o.Value}"),
        ];
        var process = ProcessRunner.Start("bash", arguments, start =>
        {
            start.WorkingDirectory = TestEnvironment.RepositoryRoot;
            start.Environment["SECONDSERVER_DATA"] = DataDirectory;
        }, logFile: Path.Combine(DataDirectory, "logs", $"{instance}-replaced.log"));
        return new ReplacedReplica(this, instance, process);
    }

    private sealed class ReplacedReplica(ClusterFixture cluster, string instance, ProcessRunner process) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                await process.SignalAsync("TERM");
                try
                {
                    await process.WaitForExitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
                }
                catch (TimeoutException)
                {
                    // Killed by the wait: a replica that ignores SIGTERM for a minute is not worth waiting for longer.
                }
            }

            await process.DisposeAsync();
            await cluster.SupervisorAsync("start", $"apps:{instance}");
        }
    }

    /// <summary>HAProxy's status of one web replica, read from its runtime API (UP, DOWN, DRAIN, MAINT...).</summary>
    public async Task<string> BackendStatusAsync(string server)
    {
        var servers = await new HaproxyRuntimeApi().BackendServersAsync(RuntimeApi, "be_web", TestContext.Current.CancellationToken);
        return servers.FirstOrDefault(s => s.Name == server)?.Status ?? "absent";
    }

    /// <summary>Until HAProxy sees both replicas UP: a replica another test restarted may still be on its way back.</summary>
    public Task WaitUntilBothReplicasUpAsync() => Eventually.WaitAsync(
        async () => (await BackendStatusAsync("web-1"), await BackendStatusAsync("web-2")),
        s => s is ("UP", "UP"), TimeSpan.FromSeconds(90), "HAProxy to see web-1 and web-2 UP");

    /// <summary>A connection to the cluster's database as the app's own user.</summary>
    public Task<System.Data.Common.DbConnection> OpenDatabaseAsync() =>
        TestDatabase.FactoryFor($"Server=127.0.0.1;Port={Ports["MYSQL_PORT"]};User ID=app;Password={Secrets["MYSQL_APP_PASSWORD"]};Database=appdb;SslMode=None")
            .OpenAsync(TestContext.Current.CancellationToken);

    /// <summary>A client of the cluster's Redis with its password, as the apps connect (their key prefix is not applied).</summary>
    public Task<StackExchange.Redis.ConnectionMultiplexer> ConnectRedisAsync() =>
        StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Ports["REDIS_PORT"]},password={Secrets["REDIS_PASSWORD"]}");

    /// <summary>A client of the cluster's S3 server with the app's keys, configured as the app configures its own.</summary>
    public Amazon.S3.AmazonS3Client S3() => Infrastructure.Storage.S3ClientFactory.Create(new Infrastructure.Storage.StorageOptions
    {
        ConnectionString = $"Endpoint=http://127.0.0.1:{Ports["S3_PORT"]};AccessKey={Secrets["S3_ACCESS_KEY"]};SecretKey={Secrets["S3_SECRET_KEY"]}",
    });

    /// <summary>
    /// Sets a replica's state (drain, maint, ready) with scripts/deploy's own function, in both backends that hold it:
    /// the balancer fails open to be_web_open when no replica is ready, and a drained replica must get nothing there.
    /// </summary>
    public async Task SetReplicaStateAsync(string server, string state)
    {
        var script = $"source scripts/lib/common.sh && source scripts/lib/cluster.sh && load_cluster_settings && set_replica_state {server} {state}";
        var (exitCode, output) = await RunAsync("env", $"SECONDSERVER_DATA={DataDirectory}", "bash", "-c", $"cd '{TestEnvironment.RepositoryRoot}' && {script}");
        Assert.True(exitCode == 0, $"set_replica_state {server} {state}: {output}");
    }

    public Task<string> HaproxyAsync(string command) => new HaproxyRuntimeApi().SendAsync(RuntimeApi, command, TestContext.Current.CancellationToken);

    /// <summary>Runs a command to its end (within a minute); its exit code and output.</summary>
    internal static Task<ProcessResult> RunAsync(string file, params string[] arguments) =>
        ProcessRunner.RunAsync(file, arguments, TimeSpan.FromMinutes(1));

    /// <summary>Another cluster's data folder and the ports it overrides.</summary>
    public sealed record Settings(string DataDirectory, Dictionary<string, string> Overrides);

    /// <summary><paramref name="root"/> and every process below it, from the parent ids in /proc.</summary>
    private static HashSet<int> ProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                // The command name in parentheses may hold spaces; the parent id is the second field after it.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                parents[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not a process, or one that has just exited.
            }
        }

        var tree = new HashSet<int> { root };
        while (parents.Where(p => !tree.Contains(p.Key) && tree.Contains(p.Value)).Select(p => p.Key).ToList() is { Count: > 0 } children)
        {
            tree.UnionWith(children);
        }

        return tree;
    }
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>;
