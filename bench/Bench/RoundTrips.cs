using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace SecondServer.Bench;

/// <summary>
/// Counts the commands one replica sends Redis per request, with MONITOR: each line names the client that sent the
/// command, and commands a Lua script runs inside Redis are marked "lua", so a script counts once, as the one round
/// trip it is (INFO commandstats counts the commands inside scripts too). MONITOR slows Redis down, so this runs as
/// its own short probe of sequential requests, apart from the measured runs.
/// </summary>
internal static class RoundTrips
{
    public static async Task<(double PerRequest, string Commands)> ProbeAsync(string redis, string replicaName, string url, IReadOnlyList<string> headers, int requests)
    {
        var options = ConfigurationOptions.Parse(redis);
        options.AllowAdmin = true;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        var clients = await multiplexer.GetServer(multiplexer.GetEndPoints()[0]).ClientListAsync();
        var addresses = clients.Where(c => c.Name == replicaName).Select(c => c.Address?.ToString()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (addresses.Count == 0)
        {
            throw new InvalidOperationException($"No Redis client is named {replicaName}.");
        }

        var (host, port) = RedisAddress.Of(options);
        using var monitor = new TcpClient();
        await monitor.ConnectAsync(host, port);
        var stream = monitor.GetStream();
        var reader = new StreamReader(stream, Encoding.UTF8);
        if (!string.IsNullOrEmpty(options.Password))
        {
            await stream.WriteAsync(Command("AUTH", options.Password));
            await reader.ReadLineAsync();
        }

        await stream.WriteAsync(Command("MONITOR"));
        await reader.ReadLineAsync();

        var seen = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    seen.Enqueue(line);
                }
            }
            catch (OperationCanceledException)
            {
                // The probe is over.
            }
        });

        using var http = new HttpClient();
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            http.DefaultRequestHeaders.TryAddWithoutValidation(header[..colon], header[(colon + 1)..].Trim());
        }

        // A marker before and after, so that only what the replica sent in between counts.
        var database = multiplexer.GetDatabase();
        await database.ExecuteAsync("ECHO", "round-trip-probe-start");
        for (var i = 0; i < requests; i++)
        {
            (await http.GetAsync(url)).EnsureSuccessStatusCode();
        }

        await database.ExecuteAsync("ECHO", "round-trip-probe-end");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!seen.ToArray().Any(l => l.Contains("round-trip-probe-end", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        monitor.Close();
        await reading;

        var lines = seen.ToArray();
        var from = Array.FindIndex(lines, l => l.Contains("round-trip-probe-start", StringComparison.Ordinal));
        var to = Array.FindIndex(lines, l => l.Contains("round-trip-probe-end", StringComparison.Ordinal));
        // +1700000000.123456 [0 127.0.0.1:40000] "evalsha" "..." — or [0 lua] for a command a script ran.
        var commands = lines[(from + 1)..to]
            .Select(l => l.Split(' ', 4))
            .Where(parts => parts.Length >= 4 && addresses.Contains(parts[2].TrimEnd(']')))
            .Select(parts => parts[3].Split(' ')[0].Trim('"').ToLowerInvariant())
            .ToList();
        var byName = string.Join(", ", commands.GroupBy(c => c).OrderByDescending(g => g.Count())
            .Select(g => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{g.Key} {g.Count() / (double)requests:0.00}")));
        return (commands.Count / (double)requests, byName);
    }

    private static byte[] Command(params string[] parts)
    {
        var text = new StringBuilder();
        text.Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
