using System.Diagnostics;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>The built AppHost run as a developer runs it, a process with command-line arguments.</summary>
internal static class AppHostCommand
{
    /// <summary>
    /// The AppHost's own build output, beside the project, where its assembly metadata (project paths, DCP and
    /// dashboard locations) is valid; built in the same configuration as these tests.
    /// </summary>
    public static string Assembly
    {
        get
        {
            // .../Tests/bin/<Configuration>/net10.0/
            var configuration = Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory))) ?? "Release";
            var path = Path.Combine(TestEnvironment.RepositoryRoot, "AppHost", "bin", configuration, "net10.0", "AppHost.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"The AppHost is not built at {path}");
        }
    }

    public static async Task<(int ExitCode, string Output, string Errors, TimeSpan Took)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync("dotnet", [Assembly, .. arguments], timeout, cancellationToken: TestContext.Current.CancellationToken);
        return (result.ExitCode, result.StandardOutput, result.StandardError, clock.Elapsed);
    }
}
