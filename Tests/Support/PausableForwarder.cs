using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecondServer.Tests.Support;

/// <summary>
/// A socat process forwarding a loopback port to a server, in a process group of its own (one child per
/// connection), that the test pauses with SIGSTOP: then every connection through it hangs, new ones included (the
/// kernel still completes their handshake), and nothing is refused or reset, as with a frozen server or a
/// black-holed network. SIGCONT lets them go on.
/// </summary>
internal sealed class PausableForwarder : IAsyncDisposable
{
    private readonly ProcessRunner _process;

    private PausableForwarder(ProcessRunner process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PausableForwarder> StartAsync(int targetPort)
    {
        var port = TestEnvironment.FreePort();
        // setsid makes socat lead a new process group, so one signal to the group reaches the children too.
        var forwarder = new PausableForwarder(ProcessRunner.Start("setsid", ["socat", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{targetPort}"]), port);
        await Eventually.WaitAsync(forwarder.ListeningAsGroupLeaderAsync, ready => ready, TimeSpan.FromSeconds(20), $"socat to listen on {port}");
        return forwarder;
    }

    public Task PauseAsync() => SignalGroupAsync("STOP");

    public Task ResumeAsync() => SignalGroupAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalGroupAsync("CONT");
            await SignalGroupAsync("TERM");
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
        }

        await _process.DisposeAsync();
    }

    private async Task SignalGroupAsync(string signal)
    {
        var (exitCode, output) = await ProcessRunner.RunAsync("kill", [$"-{signal}", "--", $"-{_process.Id.ToString(CultureInfo.InvariantCulture)}"], TimeSpan.FromMinutes(1));
        if (exitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} of socat's group {_process.Id} failed: {output}");
        }
    }

    private async Task<bool> ListeningAsGroupLeaderAsync()
    {
        Assert.False(_process.HasExited, "socat exited at once");
        // Field 5 of /proc/PID/stat (after the parenthesised name) is the process group.
        var stat = await File.ReadAllTextAsync($"/proc/{_process.Id}/stat");
        if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2] != _process.Id.ToString(CultureInfo.InvariantCulture) || !stat.Contains("(socat)", StringComparison.Ordinal))
        {
            return false;
        }

        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
