using System.Net;
using System.Net.Sockets;

namespace SecondServer.AppHost;

internal static class Ports
{
    /// <summary>
    /// A fixed port another process holds would leave HAProxy failing to bind while everything else looks fine, so
    /// the AppHost says so before it starts anything. 0 means DCP allocates one, which is always free.
    /// </summary>
    public static void RequireFree(int port, string key)
    {
        if (port == 0)
        {
            return;
        }

        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException)
        {
            throw new AppHostConfigurationException(
                $"port {port} on 127.0.0.1 ({key}) is in use: stop what holds it (another AppHost?) or choose another with --{key}=PORT.");
        }
    }
}
