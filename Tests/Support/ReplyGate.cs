using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecondServer.Tests.Support;

/// <summary>
/// A TCP forwarder between the app and a real server that can hold the server's replies back: armed with a marker,
/// it stops passing the server's bytes on at the first reply that contains it, until released. The request has then
/// run on the server (it answered) while the app has not seen the answer yet: the window a race needs, opened on
/// demand and for as long as the test wants, with no timing involved.
/// </summary>
internal sealed class ReplyGate : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _marker;

    private ReplyGate(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static ReplyGate To(string host, int port) =>
        new(new IPEndPoint(Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork), port));

    /// <summary>Arms the gate; the task completes once a reply containing <paramref name="marker"/> is held.</summary>
    public Task HoldReplyContaining(string marker)
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _marker, Encoding.UTF8.GetBytes(marker));
        return _held.Task;
    }

    /// <summary>Lets the held reply, and everything after it, through.</summary>
    public void Release() => _released.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                var up = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
                var down = RepliesAsync(server.GetStream(), client.GetStream());
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // One side hung up, or the gate is disposed: the other side sees its connection drop.
            }
        }
    }

    private async Task RepliesAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[64 * 1024];
        var tail = Array.Empty<byte>();
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            // The marker may straddle two reads: look in the end of the previous one too.
            var seen = tail.Concat(buffer.Take(read)).ToArray();
            if (Volatile.Read(ref _marker) is { } marker && seen.AsSpan().IndexOf(marker) >= 0 && Interlocked.CompareExchange(ref _marker, null, marker) == marker)
            {
                _held.TrySetResult();
                await _released.Task.WaitAsync(_stop.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            tail = seen[Math.Max(0, seen.Length - 256)..];
        }
    }
}
