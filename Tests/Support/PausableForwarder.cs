using System.Diagnostics;
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
    private readonly Process _process;

    private PausableForwarder(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PausableForwarder> StartAsync(int targetPort)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        // setsid makes socat lead a new process group, so one signal to the group reaches the children too.
        var start = new ProcessStartInfo("setsid") { ArgumentList = { "socat", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{targetPort}" } };
        var forwarder = new PausableForwarder(Process.Start(start)!, port);
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
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }

        _process.Dispose();
    }

    private async Task SignalGroupAsync(string signal)
    {
        var (exitCode, output) = await ClusterFixture.RunAsync("kill", $"-{signal}", "--", $"-{_process.Id.ToString(CultureInfo.InvariantCulture)}");
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
