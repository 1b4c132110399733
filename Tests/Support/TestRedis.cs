using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SecondServer.Infrastructure.Caching;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Tests.Support;

/// <summary>The application's own Redis registration (multiplexer, key prefix, health check, cache) outside a web host.</summary>
internal sealed class TestRedis : IDisposable
{
    private readonly IHost _host;

    private TestRedis(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public RedisConnection Connection => Services.GetRequiredService<RedisConnection>();

    public static TestRedis Connect(string connectionString, string prefix)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = connectionString,
            ["Redis:KeyPrefix"] = prefix,
        });
        builder.Services.AddLogging();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddSharedRedis();
        builder.Services.AddSharedCache();
        return new TestRedis(builder.Build());
    }

    public void Dispose() => _host.Dispose();
}
