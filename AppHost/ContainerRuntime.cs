using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace SecondServer.AppHost;

/// <summary>
/// Asks the Docker engine for <c>/_ping</c> over its API socket (<c>DOCKER_HOST</c>, else the default socket).
/// DCP itself never gives up on a runtime that does not answer (containers sit in RuntimeUnhealthy and whatever waits
/// for them never starts), so the AppHost asks first, briefly, and decides before anything starts.
/// </summary>
internal static class ContainerRuntime
{
    public const string DefaultHost = "unix:///var/run/docker.sock";

    /// <summary>The engine's address the way the docker CLI reads it: <c>DOCKER_HOST</c> or the default socket.</summary>
    public static string HostOf(IConfiguration configuration) =>
        configuration["DOCKER_HOST"] is { Length: > 0 } host ? host : DefaultHost;

    /// <summary>Whether the engine at <paramref name="host"/> answers <c>/_ping</c> within <paramref name="timeout"/>, and how it went.</summary>
    public static async Task<(bool Answers, string Detail)> PingAsync(string host, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            using var client = ClientFor(host, out var baseAddress);
            using var response = await client.GetAsync(new Uri(baseAddress, "/_ping"), timeoutSource.Token).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return response.IsSuccessStatusCode
                ? (true, $"the Docker engine at {host} answered in {elapsed:0} ms")
                : (false, $"the Docker engine at {host} answered {(int)response.StatusCode} to /_ping");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no Docker engine answered at {host} within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException or NotSupportedException)
        {
            return (false, $"no Docker engine answered at {host} ({ex.GetBaseException().Message})");
        }
    }

    private static HttpClient ClientFor(string host, out Uri baseAddress)
    {
        if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = host["unix://".Length..];
            baseAddress = new Uri("http://docker/");
            return new HttpClient(new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), token).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            });
        }

        if (host.StartsWith("tcp://", StringComparison.Ordinal))
        {
            baseAddress = new Uri("http://" + host["tcp://".Length..].TrimEnd('/') + "/");
            return new HttpClient();
        }

        throw new NotSupportedException($"DOCKER_HOST '{host}' is neither unix:// nor tcp://");
    }
}
