using System.Net;
using System.Net.Sockets;
using DotNet.Testcontainers.Containers;
using Testcontainers.Redis;

namespace SecondServer.Tests.Support;

/// <summary>
/// A Redis or S3 server of a test's own, in a container on a fixed loopback port, that the test stops and starts
/// again for real (same container, same port, same data) to prove that the app notices and recovers.
/// </summary>
internal sealed class ServerContainer : IAsyncDisposable
{
    private readonly IContainer _container;

    private ServerContainer(IContainer container, int port)
    {
        _container = container;
        Port = port;
    }

    /// <summary>The host port, the same after every restart (a random published port would change).</summary>
    public int Port { get; }

    public static async Task<ServerContainer> StartRedisAsync(string password)
    {
        await DockerEngine.EnsureAsync();
        var port = FreePort();
        return await StartAsync(ServerContainers.Redis(password).WithPortBinding(port, RedisBuilder.RedisPort).Build(), port);
    }

    public static async Task<ServerContainer> StartS3Async(string accessKey, string secretKey)
    {
        await DockerEngine.EnsureAsync();
        var port = FreePort();
        return await StartAsync(ServerContainers.S3(accessKey, secretKey).WithPortBinding(port, ServerContainers.S3Port).Build(), port);
    }

    /// <summary>Starts the stopped container again and waits until the server answers, as at the first start.</summary>
    public Task StartAsync() => _container.StartAsync(TestContext.Current.CancellationToken);

    /// <summary>Stops the container: the server goes away and its port refuses connections.</summary>
    public Task StopAsync() => _container.StopAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _container.DisposeAsync();

    private static async Task<ServerContainer> StartAsync(IContainer container, int port)
    {
        try
        {
            await container.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        return new ServerContainer(container, port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
