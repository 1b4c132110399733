using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>The AppHost's command line: publishing the manifest, and containers asked for where no engine runs.</summary>
public sealed class AppHostCommandLineTests
{
    [Fact]
    public async Task The_manifest_describes_every_server_as_a_container_with_secrets_as_parameters_and_connection_strings_by_reference()
    {
        var file = Path.Combine(Path.GetTempPath(), $"{TestEnvironment.NewName("manifest")}.json");
        try
        {
            var (exitCode, output, errors, _) = await AppHostCommand.RunAsync(TimeSpan.FromMinutes(2), "--publisher", "manifest", "--output-path", file);
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{errors}");
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
            var resources = manifest.RootElement.GetProperty("resources");

            // Exactly these workloads: no executable, no second replica, no HAProxy (the platform's ingress balances
            // there). Aspire adds value resources of its own (the Redis URI's encoded password, its TLS switch).
            Assert.Equal(
                ["mysql", "redis", "s3", "web", "worker"],
                resources.EnumerateObject().Where(r => Type(resources, r.Name) is { } type && (type.StartsWith("container.", StringComparison.Ordinal)
                    || type.StartsWith("project.", StringComparison.Ordinal) || type.StartsWith("executable.", StringComparison.Ordinal))).Select(r => r.Name).Order());
            Assert.Equal(
                ["mysql-password", "redis-password", "s3-access-key", "s3-secret-key"],
                resources.EnumerateObject().Where(r => Type(resources, r.Name)?.StartsWith("parameter.", StringComparison.Ordinal) == true).Select(r => r.Name).Order());
            foreach (var server in new[] { "redis", "mysql", "s3" })
            {
                Assert.StartsWith("container.", Type(resources, server), StringComparison.Ordinal);
            }

            foreach (var project in new[] { "web", "worker" })
            {
                Assert.StartsWith("project.", Type(resources, project), StringComparison.Ordinal);
                var environment = resources.GetProperty(project).GetProperty("env");
                Assert.Equal("{redis.connectionString}", environment.GetProperty("ConnectionStrings__redis").GetString());
                Assert.Equal("{mysql.connectionString}", environment.GetProperty("ConnectionStrings__appdb").GetString());
                Assert.Equal("{s3.connectionString}", environment.GetProperty("ConnectionStrings__uploads").GetString());
            }

            Assert.True(resources.GetProperty("web").GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());

            // Secrets are generated parameters the deployment tool keeps; the servers and their clients only name them.
            foreach (var (parameter, secret) in new[] { ("redis-password", true), ("mysql-password", true), ("s3-access-key", false), ("s3-secret-key", true) })
            {
                var value = resources.GetProperty(parameter);
                Assert.StartsWith("parameter.", value.GetProperty("type").GetString(), StringComparison.Ordinal);
                var input = value.GetProperty("inputs").GetProperty("value");
                Assert.Equal(secret, input.TryGetProperty("secret", out var flag) && flag.GetBoolean());
                Assert.True(input.GetProperty("default").TryGetProperty("generate", out _), $"{parameter} is not generated");
            }

            var mysql = resources.GetProperty("mysql");
            Assert.Equal(
                "Server={mysql.bindings.tcp.host};Port={mysql.bindings.tcp.port};User ID=app;Password={mysql-password.value};Database=appdb",
                mysql.GetProperty("connectionString").GetString());
            Assert.Equal("{mysql-password.value}", mysql.GetProperty("env").GetProperty("MYSQL_PASSWORD").GetString());
            Assert.Equal(3306, mysql.GetProperty("bindings").GetProperty("tcp").GetProperty("targetPort").GetInt32());
            Assert.Equal(
                "Endpoint={s3.bindings.http.url};AccessKey={s3-access-key.value};SecretKey={s3-secret-key.value}",
                resources.GetProperty("s3").GetProperty("connectionString").GetString());
            Assert.Equal("{s3-secret-key.value}", resources.GetProperty("s3").GetProperty("env").GetProperty("MINIO_ROOT_PASSWORD").GetString());
            Assert.Contains("{redis-password.value}", resources.GetProperty("redis").GetProperty("connectionString").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Containers_asked_for_where_no_engine_answers_stop_the_AppHost_at_once_with_the_fix()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), $"{TestEnvironment.NewName("no-engine")}.sock");
        var (exitCode, _, errors, took) = await AppHostCommand.RunAsync(TimeSpan.FromSeconds(60),
            "--AppHost:Servers=containers", $"--DOCKER_HOST=unix://{nowhere}");

        Assert.Equal(1, exitCode);
        Assert.Contains($"no Docker engine answered at unix://{nowhere}", errors, StringComparison.Ordinal);
        Assert.Contains("--AppHost:Servers=executables", errors, StringComparison.Ordinal);
        // Seconds, not the minutes a container stuck in RuntimeUnhealthy would hang; generous for a loaded machine.
        Assert.True(took < TimeSpan.FromSeconds(20), $"took {took.TotalSeconds:0.0} s");
    }

    private static string? Type(JsonElement resources, string name) => resources.GetProperty(name).GetProperty("type").GetString();
}
