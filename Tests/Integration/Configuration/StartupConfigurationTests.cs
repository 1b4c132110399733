using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Configuration;

/// <summary>A real Web process with broken configuration: one line naming the key, a distinct exit code, no stack trace.</summary>
public sealed class StartupConfigurationTests
{
    [Theory]
    [InlineData("ConnectionStrings__redis", "", "ConnectionStrings:redis is missing")]
    [InlineData("ConnectionStrings__appdb", "Server=db;User ID=app", "ConnectionStrings:appdb lacks Database")]
    [InlineData("ConnectionStrings__uploads", "Endpoint=http://s3:9000", "ConnectionStrings:uploads lacks AccessKey, SecretKey")]
    [InlineData("Cluster__Web__0", "web-1=http://127.0.0.1:5101", "Cluster:Redis is required")]
    public async Task Invalid_configuration_fails_fast_with_one_clear_line(string variable, string value, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var web = Path.Combine(TestEnvironment.RepositoryRoot, "Web", "bin", "Release", "net10.0", "Web.dll");
        // Working servers for every key but the broken one, so the line names that key alone.
        var process = await ProcessRunner.RunAsync(
            "dotnet",
            [web, "--urls", "http://127.0.0.1:0"],
            TimeSpan.FromSeconds(60),
            start =>
            {
                start.Environment["ConnectionStrings__redis"] = TestEnvironment.Redis;
                start.Environment["ConnectionStrings__appdb"] = TestEnvironment.Database;
                start.Environment["ConnectionStrings__uploads"] = TestEnvironment.Storage;
                start.Environment[variable] = value;
                start.Environment["Logging__LogLevel__Default"] = "None";
            },
            ct);

        Assert.Equal(78, process.ExitCode);
        var line = Assert.Single(process.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("startup failed: invalid configuration:", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", process.StandardOutput, StringComparison.Ordinal);
    }
}
