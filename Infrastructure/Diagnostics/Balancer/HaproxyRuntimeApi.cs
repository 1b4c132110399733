using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecondServer.Infrastructure.Diagnostics.Balancer;

/// <summary>
/// HAProxy's runtime API (<c>stats socket</c>): a socket file on the balancer's machine
/// (<c>/run/haproxy/admin.sock</c>), or <c>HOST:PORT</c> (<c>ipv4@10.0.1.10:9999</c> in HAProxy's configuration) when
/// the balancer runs on another machine.
/// </summary>
internal interface IHaproxyRuntimeApi
{
    /// <summary>Sends one command and returns HAProxy's whole answer; throws when the socket cannot be reached.</summary>
    Task<string> SendAsync(string address, string command, CancellationToken cancellationToken);

    /// <summary>The servers of <paramref name="backend"/> as <c>show stat</c> reports them.</summary>
    Task<IReadOnlyList<BackendServer>> BackendServersAsync(string address, string backend, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class HaproxyRuntimeApi : IHaproxyRuntimeApi
{
    public async Task<string> SendAsync(string address, string command, CancellationToken cancellationToken)
    {
        var endpoint = Endpoint(address);
        using var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BackendServer>> BackendServersAsync(string address, string backend, CancellationToken cancellationToken) =>
        HaproxyStat.Parse(await SendAsync(address, HaproxyStat.Command, cancellationToken), backend);

    /// <summary>A <c>HOST:PORT</c> is a TCP endpoint; anything else (a path) is a socket file.</summary>
    internal static EndPoint Endpoint(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && !address.Contains('/', StringComparison.Ordinal)
            && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? new DnsEndPoint(address[..colon].Trim('[', ']'), port)
                : new UnixDomainSocketEndPoint(address);
    }
}
