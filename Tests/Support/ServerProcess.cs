using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SecondServer.Tests.Support;

/// <summary>
/// A real server process of a test's own (HAProxy), on a free loopback port, that the test can kill and start again
/// on the same port and data folder. Redis and the S3 server of a test's own are containers: see <see cref="ServerContainer"/>.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Func<int, string, ProcessStartInfo> _startInfo;
    private readonly string _directory;
    private Process? _process;

    private ServerProcess(Func<int, string, ProcessStartInfo> startInfo)
    {
        _startInfo = startInfo;
        _directory = Directory.CreateTempSubdirectory("ss-server-").FullName;
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary>
    /// HAProxy whose runtime API listens on TCP (the port), read-only, with a backend <c>be_web</c> of two servers
    /// nobody checks: the balancer as a replica on another machine reaches it.
    /// </summary>
    public static async Task<ServerProcess> StartHaproxyRuntimeApiAsync()
    {
        var server = new ServerProcess((port, dir) =>
        {
            var config = Path.Combine(dir, "haproxy.cfg");
            // HAProxy refuses a configuration whose last line has no line feed; the raw literal ends in an empty line.
            File.WriteAllText(config, $"""
                global
                    stats socket 127.0.0.1:{port} level user
                defaults
                    mode http
                    timeout connect 1s
                    timeout client 5s
                    timeout server 5s
                backend be_web
                    server web-1 127.0.0.1:1
                    server web-2 127.0.0.1:2

                """);
            return new ProcessStartInfo("haproxy") { ArgumentList = { "-db", "-f", config } };
        });
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var info = _startInfo(Port, _directory);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.WaitAsync(IsListeningAsync, listening => listening || _process.HasExited, TimeSpan.FromSeconds(20), $"{info.FileName} listening on {Port}");
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{info.FileName} exited with {_process.ExitCode} before listening on {Port}.");
        }
    }

    /// <summary>SIGKILL: the server vanishes the way a crash or an OOM kill makes it vanish.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private async Task<bool> IsListeningAsync()
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
