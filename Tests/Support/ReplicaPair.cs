namespace SecondServer.Tests.Support;

/// <summary>
/// Two Web replicas in the test process sharing one fresh database, one Redis key prefix and one bucket, as two
/// replicas behind the balancer share them; started together and ready (migrated, key ring in place).
/// </summary>
internal sealed class ReplicaPair : IAsyncDisposable
{
    private ReplicaPair(TestDatabase database, Dictionary<string, string?> settings, TestHost web1, TestHost web2)
    {
        Database = database;
        Settings = settings;
        Web1 = web1;
        Web2 = web2;
    }

    public TestDatabase Database { get; }

    /// <summary>The settings both replicas run with, for starting a third host that shares their state.</summary>
    public Dictionary<string, string?> Settings { get; }

    public TestHost Web1 { get; }

    public TestHost Web2 { get; }

    /// <param name="adjust">Changes to the shared settings before the replicas start.</param>
    public static async Task<ReplicaPair> StartAsync(Action<Dictionary<string, string?>>? adjust = null)
    {
        var database = await TestDatabase.CreateAsync();
        var settings = TestHost.SharedSettings(database.ConnectionString);
        adjust?.Invoke(settings);
        // Both boot at once onto an empty key ring: the first-boot race the key ring maintainer prevents.
        var hosts = await Task.WhenAll(TestHost.StartWebAsync("web-1", settings), TestHost.StartWebAsync("web-2", settings));
        await Task.WhenAll(hosts[0].WaitUntilReadyAsync(), hosts[1].WaitUntilReadyAsync());
        return new ReplicaPair(database, settings, hosts[0], hosts[1]);
    }

    public async ValueTask DisposeAsync()
    {
        await Web1.DisposeAsync();
        await Web2.DisposeAsync();
        await Database.DisposeAsync();
    }
}
