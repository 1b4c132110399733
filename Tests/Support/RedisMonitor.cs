using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace SecondServer.Tests.Support;

/// <summary>
/// Redis's MONITOR feed: every command the server runs, with the client that sent it; a command a Lua script ran is
/// marked <c>[0 lua]</c>, so a script shows as the one round trip it is, followed by what it did.
/// </summary>
internal sealed class RedisMonitor : IAsyncDisposable
{
    private readonly TcpClient _connection;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private RedisMonitor(TcpClient connection, StreamReader reader)
    {
        _connection = connection;
        _reading = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    _lines.Enqueue(line);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Stopped.
            }
        });
    }

    public static async Task<RedisMonitor> StartAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        var endpoint = options.EndPoints[0] switch
        {
            System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
            System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            var other => throw new ArgumentException($"Unsupported endpoint {other}."),
        };
        var connection = new TcpClient();
        await connection.ConnectAsync(endpoint.Item1, endpoint.Item2, cancellationToken);
        var stream = connection.GetStream();
        var reader = new StreamReader(stream, Encoding.UTF8);
        if (!string.IsNullOrEmpty(options.Password))
        {
            await stream.WriteAsync(Resp("AUTH", options.Password), cancellationToken);
            Assert.Equal("+OK", await reader.ReadLineAsync(cancellationToken));
        }

        await stream.WriteAsync(Resp("MONITOR"), cancellationToken);
        Assert.Equal("+OK", await reader.ReadLineAsync(cancellationToken));
        return new RedisMonitor(connection, reader);
    }

    /// <summary>
    /// The commands sent by clients (not those run inside scripts) since the start, up to a marker sent through
    /// <paramref name="redis"/> now, so that nothing still on its way is missed.
    /// </summary>
    public async Task<IReadOnlyList<string>> ClientCommandsAsync(IDatabase redis, CancellationToken cancellationToken)
    {
        var marker = $"monitor-marker-{Guid.NewGuid():N}";
        await redis.ExecuteAsync("ECHO", marker);
        await Eventually.WaitAsync(() => Task.FromResult(_lines.Any(l => l.Contains(marker, StringComparison.Ordinal))), seen => seen, TimeSpan.FromSeconds(10), "the marker in MONITOR");
        return [.. _lines.TakeWhile(l => !l.Contains(marker, StringComparison.Ordinal)).Where(l => !l.Contains("[0 lua]", StringComparison.Ordinal))];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _connection.Dispose();
        await _reading;
        _stop.Dispose();
    }

    private static byte[] Resp(params string[] parts)
    {
        var text = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
