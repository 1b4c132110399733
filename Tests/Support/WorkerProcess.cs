using System.Globalization;
using System.Net;

namespace SecondServer.Tests.Support;

/// <summary>
/// The real Worker as its own process (the Release build), to be killed with SIGKILL or stopped with SIGTERM for
/// real. Settings go in as environment variables, on top of the suite's connection strings.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly ProcessRunner _process;

    private WorkerProcess(ProcessRunner process, string instanceId, int port)
    {
        _process = process;
        InstanceId = instanceId;
        Port = port;
    }

    public string InstanceId { get; }

    public int Port { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process logged so far, for failure messages.</summary>
    public string Output => _process.Output;

    /// <summary>Starts a Worker and waits until its readiness answers 200 (migrations applied, dependencies reachable).</summary>
    public static async Task<WorkerProcess> StartAsync(string instanceId, IDictionary<string, string?> settings)
    {
        // The process inherits the servers' connection strings from this one's environment.
        await ServerContainers.EnsureStartedAsync();
        var port = TestEnvironment.FreePort();
        var process = ProcessRunner.Start(
            "dotnet",
            [Path.Combine(TestEnvironment.RepositoryRoot, "Worker", "bin", "Release", "net10.0", "Worker.dll"), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"],
            start =>
            {
                start.Environment["App__InstanceId"] = instanceId;
                start.Environment["Logging__Console__FormatterName"] = "simple";
                foreach (var (key, value) in settings)
                {
                    start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
                }
            });
        var worker = new WorkerProcess(process, instanceId, port);
        try
        {
            await process.WaitUntilAsync(worker.ReadinessAsync, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"worker {instanceId} ready");
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    /// <summary>SIGKILL: the process vanishes mid-job, the way an OOM kill or a power cut makes it vanish.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>SIGTERM, as a process manager stops a program; returns once the process has exited.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        await TerminateAsync();
        return await WaitForExitAsync(timeout);
    }

    /// <summary>Sends SIGTERM and returns at once, so the test can act while the process stops.</summary>
    public Task TerminateAsync() => _process.SignalAsync("TERM");

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout, TestContext.Current.CancellationToken);

    /// <summary>What the worker's own <c>/health/ready</c> answers now (503 also while it stops, or when it does not answer).</summary>
    public async Task<HttpStatusCode> ReadinessAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !TestContext.Current.CancellationToken.IsCancellationRequested))
        {
            // Not listening yet, or too slow to answer on a busy machine: look again.
            return HttpStatusCode.ServiceUnavailable;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
