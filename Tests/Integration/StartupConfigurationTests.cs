using System.Diagnostics;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration;

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
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { web, "--urls", "http://127.0.0.1:0" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            // Working servers for every key but the broken one, so the line names that key alone.
            Environment =
            {
                ["ConnectionStrings__redis"] = TestEnvironment.Redis,
                ["ConnectionStrings__appdb"] = TestEnvironment.Database,
                ["ConnectionStrings__uploads"] = TestEnvironment.Storage,
                [variable] = value,
                ["Logging__LogLevel__Default"] = "None",
            },
        };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);

        Assert.Equal(78, process.ExitCode);
        var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("startup failed: invalid configuration:", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await stdout, StringComparison.Ordinal);
    }
}
