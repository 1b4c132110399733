using System.Globalization;
using System.Text;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using SecondServer.Tests.Support;
using Testcontainers.MySql;
using Testcontainers.Redis;

[assembly: AssemblyFixture(typeof(ServerContainers))]

namespace SecondServer.Tests.Support;

/// <summary>
/// The integration tests' Redis, MySQL and S3 servers: containers that Testcontainers starts on first use and that
/// every test collection of the run shares (each test class still gets its own database, key prefix and bucket),
/// removed when the run ends. A run that needs none of them (unit tests, the cluster tests on processes) starts none.
/// Once started, their connection strings are also the process's <c>ConnectionStrings__*</c> variables, so
/// in-process hosts and child processes find them the way they find them in production.
/// Images come from <c>SECONDSERVER_TEST_REDIS_IMAGE</c>, <c>SECONDSERVER_TEST_MYSQL_IMAGE</c> and
/// <c>SECONDSERVER_TEST_S3_IMAGE</c>: by default the images scripts/images builds; where a registry is reachable
/// the official <c>redis</c>, <c>mysql</c> and <c>minio/minio</c> work the same.
/// </summary>
public sealed class ServerContainers : IAsyncDisposable
{
    private static readonly Lazy<Task<Servers>> Shared = new(() => Task.Run(StartSharedAsync));

    /// <summary>Starts the shared servers once; later calls return at once.</summary>
    public static Task EnsureStartedAsync() => Shared.Value;

    /// <summary>
    /// The same for synchronous callers (<see cref="TestEnvironment"/>'s properties). The start runs on the thread
    /// pool (<see cref="Task.Run(Func{Task})"/> above), so blocking here cannot deadlock xunit's synchronization context.
    /// </summary>
    internal static Servers Current => Shared.Value.GetAwaiter().GetResult();

    /// <summary>Stops and removes the shared containers at the end of the run, if this run started them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Shared.IsValueCreated && Shared.Value.IsCompletedSuccessfully)
        {
            await Shared.Value.Result.DisposeAsync();
        }
    }

    private static async Task<Servers> StartSharedAsync()
    {
        await DockerEngine.EnsureAsync();
        var redisPassword = Guid.NewGuid().ToString("N");
        var mysqlPassword = Guid.NewGuid().ToString("N");
        var s3Key = "test-" + Guid.NewGuid().ToString("N")[..12];
        var s3Secret = Guid.NewGuid().ToString("N");

        // The test user may create and drop only databases named sstest_*: each test class gets its own.
        var mysql = new MySqlBuilder(Images.MySql)
            .WithDatabase("sstest_default")
            .WithUsername("sstest")
            .WithPassword(mysqlPassword)
            .WithResourceMapping(Encoding.UTF8.GetBytes("GRANT ALL PRIVILEGES ON `sstest\\_%`.* TO 'sstest'@'%';\n"), "/docker-entrypoint-initdb.d/10-sstest.sql")
            .WithLabel(DockerEngine.ContainerLabel, TestEnvironment.RepositoryRoot)
            .WithCreateParameterModifier(LoopbackOnly)
            .Build();
        var redis = Redis(redisPassword).Build();
        var s3 = S3(s3Key, s3Secret).Build();

        var servers = new Servers(redis, mysql, s3);
        try
        {
            await Task.WhenAll(redis.StartAsync(), mysql.StartAsync(), s3.StartAsync());
        }
        catch (Exception e)
        {
            await servers.DisposeAsync();
            throw new InvalidOperationException(
                $"The test containers did not start ({Images.Redis}, {Images.MySql}, {Images.S3}): {e.Message} " +
                "A missing local image is built by scripts/images; official images need a reachable registry.", e);
        }

        var host = mysql.Hostname;
        servers.Redis = $"{redis.Hostname}:{Invariant(redis.GetMappedPublicPort(RedisBuilder.RedisPort))},password={redisPassword}";
        // Every test class has a database of its own, so a pool of its own that outlives its hosts: idle connections
        // close within seconds rather than the driver's three minutes, or a run's finished classes hold them all.
        servers.Database = $"Server={host};Port={Invariant(mysql.GetMappedPublicPort(MySqlBuilder.MySqlPort))};User ID=sstest;Password={mysqlPassword};" +
            "Database=sstest_default;SslMode=None;AllowPublicKeyRetrieval=True;Connection Idle Timeout=5";
        servers.Storage = $"Endpoint=http://{s3.Hostname}:{Invariant(s3.GetMappedPublicPort(S3Port))};AccessKey={s3Key};SecretKey={s3Secret}";
        Environment.SetEnvironmentVariable("ConnectionStrings__redis", servers.Redis);
        Environment.SetEnvironmentVariable("ConnectionStrings__appdb", servers.Database);
        Environment.SetEnvironmentVariable("ConnectionStrings__uploads", servers.Storage);
        return servers;
    }

    internal const int S3Port = 9000;

    private const string RedisConfigPath = "/etc/secondserver-redis.conf";

    /// <summary>
    /// Redis with a password; the module's readiness check runs redis-cli inside, which reads REDISCLI_AUTH. The
    /// password is in a configuration file, not on the command line, which every user of the host reads in ps; the
    /// file is readable inside the container (only Redis runs there) and, on the host, by root through the engine.
    /// </summary>
    internal static RedisBuilder Redis(string password) =>
        new RedisBuilder(Images.Redis)
            .WithEnvironment("REDISCLI_AUTH", password)
            .WithResourceMapping(Encoding.UTF8.GetBytes($"requirepass \"{password}\"\n"), RedisConfigPath, fileMode: UnixFileModes.UserRead | UnixFileModes.GroupRead | UnixFileModes.OtherRead)
            .WithCommand("redis-server", RedisConfigPath, "--save", "", "--appendonly", "no")
            .WithLabel(DockerEngine.ContainerLabel, TestEnvironment.RepositoryRoot)
            .WithCreateParameterModifier(LoopbackOnly);

    /// <summary>
    /// The S3 server with its keys. Both images take MinIO's environment and command, and both answer MinIO's
    /// liveness path without a signature, so the same container definition runs either.
    /// </summary>
    internal static ContainerBuilder S3(string accessKey, string secretKey) =>
        new ContainerBuilder(Images.S3)
            .WithPortBinding(S3Port, assignRandomHostPort: true)
            .WithEnvironment("MINIO_ROOT_USER", accessKey)
            .WithEnvironment("MINIO_ROOT_PASSWORD", secretKey)
            .WithEnvironment("S3_ACCESS_KEY", accessKey)
            .WithEnvironment("S3_SECRET_KEY", secretKey)
            .WithCommand("server", "/data")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(request => request.ForPort(S3Port).ForPath("/minio/health/live")))
            .WithLabel(DockerEngine.ContainerLabel, TestEnvironment.RepositoryRoot)
            .WithCreateParameterModifier(LoopbackOnly);

    // Published ports listen on the host's loopback only, like every server of the local cluster (rule 7). Only on
    // a local engine: a remote one's ports are reached on its own address.
    private static void LoopbackOnly(CreateContainerParameters parameters)
    {
        if (DockerEngine.LocalSocket is null || parameters.HostConfig?.PortBindings is null)
        {
            return;
        }

        foreach (var bindings in parameters.HostConfig.PortBindings.Values)
        {
            foreach (var binding in bindings)
            {
                binding.HostIP = "127.0.0.1";
            }
        }
    }

    private static string Invariant(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The images, from configuration (see the class summary and docs/testing.md); scripts/test sets the exact builds.</summary>
    internal static class Images
    {
        public static string Redis => Configured("SECONDSERVER_TEST_REDIS_IMAGE", "secondserver/redis:latest");

        public static string MySql => Configured("SECONDSERVER_TEST_MYSQL_IMAGE", "secondserver/mariadb:latest");

        public static string S3 => Configured("SECONDSERVER_TEST_S3_IMAGE", "secondserver/s3:latest");

        private static string Configured(string variable, string fallback) =>
            Environment.GetEnvironmentVariable(variable) is { Length: > 0 } image ? image : fallback;
    }

    /// <summary>The running shared servers and their connection strings.</summary>
    internal sealed class Servers(IContainer redis, IContainer mysql, IContainer s3) : IAsyncDisposable
    {
        public string Redis { get; set; } = "";

        public string Database { get; set; } = "";

        public string Storage { get; set; } = "";

        public async ValueTask DisposeAsync() =>
            await Task.WhenAll(redis.DisposeAsync().AsTask(), mysql.DisposeAsync().AsTask(), s3.DisposeAsync().AsTask());
    }
}
