using System.Net;
using System.Net.Sockets;

namespace SecondServer.Tests.Support;

/// <summary>
/// A real server process of a test's own (HAProxy), on a free loopback port, that the test can kill and start again
/// on the same port and data folder. Redis and the S3 server of a test's own are containers: see <see cref="ServerContainer"/>.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Func<int, string, (string FileName, string[] Arguments)> _command;
    private readonly string _directory;
    private ProcessRunner? _process;

    /// <param name="command">The program and its arguments, given the port and the data folder.</param>
    private ServerProcess(Func<int, string, (string FileName, string[] Arguments)> command)
    {
        _command = command;
        _directory = Directory.CreateTempSubdirectory("ss-server-").FullName;
        Port = TestEnvironment.FreePort();
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
            return ("haproxy", ["-db", "-f", config]);
        });
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        var (fileName, arguments) = _command(Port, _directory);
        _process = ProcessRunner.Start(fileName, arguments);
        await _process.WaitUntilAsync(IsListeningAsync, listening => listening, TimeSpan.FromSeconds(20), $"{fileName} listening on {Port}");
    }

    /// <summary>SIGKILL: the server vanishes the way a crash or an OOM kill makes it vanish.</summary>
    public Task KillAsync() => _process?.KillAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

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
}
