using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecondServer.Tests.Support;

/// <summary>
/// The real Worker as its own process (the Release build), to be killed with SIGKILL or stopped with SIGTERM for
/// real. Settings go in as environment variables, on top of the suite's connection strings.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process, string instanceId, int port)
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
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a Worker and waits until its readiness answers 200 (migrations applied, dependencies reachable).</summary>
    public static async Task<WorkerProcess> StartAsync(string instanceId, IDictionary<string, string?> settings)
    {
        // The process inherits the servers' connection strings from this one's environment.
        await ServerContainers.EnsureStartedAsync();
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(TestEnvironment.RepositoryRoot, "Worker", "bin", "Release", "net10.0", "Worker.dll"), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment = { ["App__InstanceId"] = instanceId, ["Logging__Console__FormatterName"] = "simple" },
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var worker = new WorkerProcess(Process.Start(start)!, instanceId, port);
        worker._process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitAsync(
            async () => worker.HasExited ? HttpStatusCode.Gone : await ReadinessAsync(client),
            status => status is HttpStatusCode.OK or HttpStatusCode.Gone,
            TimeSpan.FromSeconds(60), $"worker {instanceId} ready");
        if (worker.HasExited)
        {
            throw new InvalidOperationException($"Worker {instanceId} exited with {worker.ExitCode}:\n{worker.Output}");
        }

        return worker;
    }

    /// <summary>SIGKILL: the process vanishes mid-job, the way an OOM kill or a power cut makes it vanish.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>SIGTERM, as a process manager stops a program; returns once the process has exited.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Terminate();
        return await WaitForExitAsync(timeout);
    }

    /// <summary>Sends SIGTERM and returns at once, so the test can act while the process stops.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        return _process.ExitCode;
    }

    /// <summary>What the worker's own <c>/health/ready</c> answers now (503 also while it stops, or when it does not answer).</summary>
    public async Task<HttpStatusCode> ReadinessAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
        return await ReadinessAsync(client);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static async Task<HttpStatusCode> ReadinessAsync(HttpClient client)
    {
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
