using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Infrastructure.Caching;

internal static class CacheRegistration
{
    /// <summary>The key space of the shared cache, after the application's key prefix.</summary>
    public const string KeySpace = "cache:";

    /// <summary>
    /// Microsoft's Redis <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/> on the process's one
    /// multiplexer, under the key space earlier releases used. Entries are hashes of <c>absexp</c>, <c>sldexp</c> and
    /// <c>data</c>; releases before this one wrote the expiry fields in milliseconds where Microsoft writes ticks, so
    /// entries shared across a rolling deploy use absolute expiry only (the fields are then never read, the data is).
    /// <see cref="ConsistentCache"/> writes entries of the same shape itself, for its compare-and-set.
    /// </summary>
    public static IServiceCollection AddSharedCache(this IServiceCollection services)
    {
        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<RedisCacheOptions>().Configure<RedisConnection>((o, redis) =>
        {
            o.InstanceName = redis.KeyPrefix + KeySpace;
            o.ConnectionMultiplexerFactory = () => Task.FromResult(redis.Multiplexer);
        });
        services.AddHttpContextAccessor();
        services.AddSingleton<ConsistentCache>();
        return services;
    }
}
