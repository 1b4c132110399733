using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>One AppHost in executables mode (Debian's redis-server and mariadbd, the npm S3 server, HAProxy) for the collection.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    private RunningAppHost? _running;

    internal RunningAppHost Running => _running ?? throw new InvalidOperationException("The AppHost has not started.");

    public async ValueTask InitializeAsync()
    {
        var folder = Path.Combine(TestEnvironment.RepositoryRoot, ".data", "test", "apphost");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        _running = await RunningAppHost.StartAsync("executables", "apphost", [], TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_running is not null)
        {
            await _running.DisposeAsync();
        }
    }
}

/// <summary>
/// Alone, after the parallel collections: an AppHost is a dozen processes, and on a two-core machine running it beside
/// the cluster tests makes the timing of both (drains, health checks, client timeouts) a matter of luck.
/// </summary>
[CollectionDefinition("apphost", DisableParallelization = true)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>;
