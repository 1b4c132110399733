using System.Diagnostics;
using System.Text;

namespace SecondServer.AppHost.Servers;

/// <summary>
/// Redis, MariaDB and the S3 server as the same Debian and npm programs <c>scripts/up</c> runs, with the same
/// options (scripts/lib/servers.sh), on ports DCP allocates, bound to loopback, with data under the AppHost's
/// data folder. Connection strings name 127.0.0.1: the servers listen on IPv4 loopback only, and MariaDB's app
/// user exists for that address.
/// </summary>
internal static class ExecutableServers
{
    public static ServerSet Add(IDistributedApplicationBuilder builder, ServerSecrets secrets, string dataDirectory, string repositoryRoot, string s3Modules)
    {
        var redis = AddRedis(builder, secrets, Path.Combine(dataDirectory, "redis"));
        var mysql = AddMariaDb(builder, secrets, Path.Combine(dataDirectory, "mysql"));
        var s3 = AddS3(builder, secrets, Path.Combine(dataDirectory, "s3"), repositoryRoot, s3Modules);
        return new ServerSet(redis, mysql, s3);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddRedis(IDistributedApplicationBuilder builder, ServerSecrets secrets, string directory)
    {
        var resource = new ServerExecutableResource("redis", HostTools.Find("redis-server", "redis-server"), directory, "tcp",
            endpoint => ReferenceExpression.Create($"127.0.0.1:{endpoint.Property(EndpointProperty.Port)},password={secrets.RedisPassword.Resource}"));
        var configuration = Path.Combine(directory, "redis.conf");
        return builder.AddResource(resource)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithIconName("Database")
            // The password goes in a file only this user reads, not on a command line every user's ps shows.
            .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
            {
                Directory.CreateDirectory(directory);
                var password = await secrets.RedisPassword.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false);
                await WritePrivateAsync(configuration, $"requirepass \"{password}\"\nsave \"\"\n", cancellationToken).ConfigureAwait(false);
            })
            .WithArgs(context =>
            {
                context.Args.Add(configuration);
                string[] arguments =
                [
                    "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", directory,
                    "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no", "--port",
                ];
                foreach (var argument in arguments)
                {
                    context.Args.Add(argument);
                }

                context.Args.Add(resource.Endpoint.Property(EndpointProperty.Port));
            })
            .WithRedisHealthCheck();
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddMariaDb(IDistributedApplicationBuilder builder, ServerSecrets secrets, string directory)
    {
        var installer = HostTools.Find("mariadb-install-db", "mariadb-server");
        var resource = new ServerExecutableResource("mysql", HostTools.Find("mariadbd", "mariadb-server"), directory, "tcp",
            endpoint => ReferenceExpression.Create(
                $"Server=127.0.0.1;Port={endpoint.Property(EndpointProperty.Port)};User ID=app;Password={secrets.MySqlPassword.Resource};Database=appdb;SslMode=None"));
        var data = Path.Combine(directory, "data");
        var initFile = Path.Combine(directory, "init.sql");
        var user = Environment.UserName;
        return builder.AddResource(resource)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithIconName("Database")
            .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
            {
                await InitializeDataDirectoryAsync(installer, directory, data, user, cancellationToken).ConfigureAwait(false);
                // MariaDB runs this file before it accepts a connection, on every start: the database and the app's
                // user exist, with this run's password, before any service can connect (scripts/up's provisioning).
                var password = Quote(await secrets.MySqlPassword.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty);
                await WritePrivateAsync(initFile, string.Join('\n',
                    "CREATE DATABASE IF NOT EXISTS appdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
                    $"CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY {password};",
                    $"ALTER USER 'app'@'127.0.0.1' IDENTIFIED BY {password};",
                    "GRANT ALL PRIVILEGES ON appdb.* TO 'app'@'127.0.0.1';",
                    "DELETE FROM mysql.global_priv WHERE User = '';",
                    "FLUSH PRIVILEGES;",
                    string.Empty), cancellationToken).ConfigureAwait(false);
            })
            .WithArgs(context =>
            {
                foreach (var argument in new[]
                {
                    "--no-defaults", $"--datadir={data}", $"--socket={Path.Combine(directory, "mysqld.sock")}", $"--pid-file={Path.Combine(directory, "mysqld.pid")}",
                    "--bind-address=127.0.0.1", $"--user={user}", "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
                    "--max-connections=300", "--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2", "--idle-transaction-timeout=10", $"--init-file={initFile}",
                })
                {
                    context.Args.Add(argument);
                }

                context.Args.Add(ReferenceExpression.Create($"--port={resource.Endpoint.Property(EndpointProperty.Port)}"));
            })
            .WithMySqlHealthCheck();
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddS3(IDistributedApplicationBuilder builder, ServerSecrets secrets, string directory, string repositoryRoot, string s3Modules)
    {
        var server = HostTools.RequireFile(Path.Combine(repositoryRoot, "deploy", "s3", "server.js"), "The S3 server (deploy/s3/server.js)");
        HostTools.RequireFile(Path.Combine(s3Modules, "s3rver"), "The S3 server's npm modules (s3rver)");
        var resource = new ServerExecutableResource("s3", HostTools.Find("node", "nodejs"), directory, "http",
            endpoint => ReferenceExpression.Create(
                $"Endpoint=http://127.0.0.1:{endpoint.Property(EndpointProperty.Port)};AccessKey={secrets.S3AccessKey.Resource};SecretKey={secrets.S3SecretKey.Resource}"));
        var builderOfS3 = builder.AddResource(resource)
            .WithEndpoint(name: "http", scheme: "http", isProxied: false)
            .WithIconName("Storage")
            .OnBeforeResourceStarted((_, _, _) =>
            {
                Directory.CreateDirectory(directory);
                return Task.CompletedTask;
            })
            // s3rver encrypts list continuation tokens with DES, which OpenSSL 3 offers only through its legacy provider.
            .WithArgs("--openssl-legacy-provider", server)
            .WithEnvironment("S3_MODULES", s3Modules)
            .WithEnvironment("S3_ADDRESS", "127.0.0.1")
            .WithEnvironment("S3_PORT", resource.Endpoint.Property(EndpointProperty.Port))
            .WithEnvironment("S3_DIRECTORY", directory)
            .WithEnvironment("S3_ACCESS_KEY", secrets.S3AccessKey)
            .WithEnvironment("S3_SECRET_KEY", secrets.S3SecretKey);
        return builderOfS3.WithS3HealthCheck(resource.Endpoint);
    }

    /// <summary>scripts/lib/servers.sh's mariadb_initialize: an interrupted first run leaves no marker and starts over.</summary>
    private static async Task InitializeDataDirectoryAsync(string installer, string directory, string data, string user, CancellationToken cancellationToken)
    {
        var marker = Path.Combine(data, ".initialized");
        if (File.Exists(marker))
        {
            return;
        }

        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo(installer) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--no-defaults", $"--datadir={data}", $"--user={user}", "--auth-root-authentication-method=socket", "--skip-test-db" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{installer} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var log = await output.ConfigureAwait(false) + await errors.ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "install.log"), log, cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db failed with {process.ExitCode}; see {Path.Combine(directory, "install.log")}");
        }

        await File.WriteAllTextAsync(marker, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    internal static async Task WritePrivateAsync(string path, string content, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(path + ".tmp", options))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
        }

        File.Move(path + ".tmp", path, overwrite: true);
    }
}
