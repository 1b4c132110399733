using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SecondServer.Tests.Support;

/// <summary>
/// A process a test starts: its output read as it comes (kept for assertions and failure messages, and appended to a
/// log file when given one), waited for, signalled, and killed with the processes below it. It only ever acts on the
/// process it started, by that process's own id.
/// </summary>
internal sealed class ProcessRunner : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StreamWriter? _log;
    private readonly Task _pumps;

    private ProcessRunner(Process process, string? logFile)
    {
        _process = process;
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
            _log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        }

        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput, _stdout), PumpAsync(process.StandardError, _stderr));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote so far: its standard output, then its standard error.</summary>
    public string Output => StandardOutput + StandardError;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/>; <paramref name="configure"/> sets its environment or working folder.</summary>
    public static ProcessRunner Start(string fileName, IEnumerable<string> arguments, Action<ProcessStartInfo>? configure = null, string? logFile = null)
    {
        var start = new ProcessStartInfo(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        configure?.Invoke(start);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return new ProcessRunner(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}."), logFile);
    }

    /// <summary>
    /// Runs <paramref name="fileName"/> to its end and returns what it wrote; one that outlives <paramref name="timeout"/>
    /// is killed and a <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        Action<ProcessStartInfo>? configure = null,
        CancellationToken cancellationToken = default)
    {
        await using var process = Start(fileName, arguments, configure);
        var exitCode = await process.WaitForExitAsync(timeout, cancellationToken);
        return new ProcessResult(exitCode, process.StandardOutput, process.StandardError);
    }

    /// <summary>
    /// Waits for the process to exit and its output to be read to the end; returns its exit code. A process still
    /// running after <paramref name="timeout"/> or when <paramref name="cancellationToken"/> fires is killed.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new TimeoutException($"{Describe()} did not exit within {timeout.TotalSeconds:0} s:\n{Output}");
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw;
        }

        await _pumps;
        return _process.ExitCode;
    }

    /// <summary>
    /// Polls <paramref name="probe"/> until <paramref name="done"/> holds; throws, with the process's output, when the
    /// process exits first.
    /// </summary>
    public async Task<T> WaitUntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var last = await Eventually.WaitAsync(
            async () => HasExited ? default : await probe(),
            value => HasExited || done(value!),
            timeout,
            what);
        if (HasExited)
        {
            await _pumps;
            throw new InvalidOperationException($"{Describe()} exited with {ExitCode} before {what}:\n{Output}");
        }

        return last!;
    }

    /// <summary>Sends a signal (TERM, INT...) and returns at once, so the test can act while the process handles it.</summary>
    public async Task SignalAsync(string signal)
    {
        var (exitCode, output, errors) = await RunAsync("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (exitCode != 0 && !HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {Id} failed: {output}{errors}");
        }
    }

    /// <summary>SIGKILL to the process and every process below it: gone the way a crash or an OOM kill makes it gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            await _pumps.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // A child that outlived it may hold its pipes open: the rest of its output is not worth waiting for.
        }

        _process.Dispose();
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    // The file name only: arguments can be long scripts.
    private string Describe() => Path.GetFileName(_process.StartInfo.FileName);

    private async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }

            if (_log is not null)
            {
                lock (_log)
                {
                    _log.Write(buffer, 0, read);
                }
            }
        }
    }
}

/// <summary>How a process that ran to its end ended, and what it wrote.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Standard output, then standard error.</summary>
    public string Output => StandardOutput + StandardError;

    public void Deconstruct(out int exitCode, out string output)
    {
        exitCode = ExitCode;
        output = Output;
    }
}
