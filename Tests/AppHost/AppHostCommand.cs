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
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet AppHost.dll {string.Join(' ', arguments)} did not exit within {timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, await output, await errors, clock.Elapsed);
    }
}
