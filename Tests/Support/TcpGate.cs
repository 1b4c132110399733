using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SecondServer.Tests.Support;

/// <summary>
/// A TCP forwarder between the app and a real server that the test can shut: closed, it refuses new connections
/// and cuts the open ones, exactly what the app sees when the server is down or the network between them breaks,
/// without stopping a server that other tests share.
/// </summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, byte> _connections = new();
    private TcpListener? _listener;

    private TcpGate(IPEndPoint target)
    {
        _target = target;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public int Port { get; }

    public static TcpGate OpenTo(string host, int port)
    {
        var gate = new TcpGate(new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port));
        gate.Open();
        return gate;
    }

    public void Open()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _ = AcceptAsync(listener);
    }

    public void Close()
    {
        _listener?.Stop();
        _listener = null;
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        _connections.Clear();
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var server = new TcpClient();
        _connections[client] = 0;
        _connections[server] = 0;
        try
        {
            await server.ConnectAsync(_target);
            using var cancel = new CancellationTokenSource();
            var up = client.GetStream().CopyToAsync(server.GetStream(), cancel.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), cancel.Token);
            await Task.WhenAny(up, down);
            await cancel.CancelAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The gate closed, or one side hung up: the other side sees its connection drop.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            _connections.TryRemove(server, out _);
            client.Dispose();
        }
    }
}
