using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Caching;

/// <summary>
/// Cache-aside that a concurrent change cannot leave stale. Plain cache-aside has a known race: a read misses,
/// loads the row, a change commits and removes the entry, then the read stores the row it loaded before the change,
/// which then stays until it expires. Here every invalidation also writes a new random generation of the key, and a
/// read stores what it loaded only if the generation is still the one it saw before loading (one Lua script, so
/// nothing comes between the check and the write). Entries stay Microsoft's RedisCache hashes (absolute expiry
/// only, see <see cref="CacheRegistration"/>), so the previous release reads and removes them as before.
/// </summary>
internal sealed class ConsistentCache(IDistributedCache cache, RedisConnection redis, TimeProvider time, IHttpContextAccessor requests)
{
    /// <summary>
    /// How long a generation outlives its invalidation: longer than any load may take, since a load that began before
    /// an invalidation whose generation has since expired would see no change.
    /// </summary>
    internal static readonly TimeSpan GenerationLifetime = TimeSpan.FromHours(1);

    // KEYS: entry, generation. ARGV: the generation seen before loading ('' for none), absexp in ticks, lifetime in ms, data.
    private const string StoreIfUnchanged = """
        if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'absexp', ARGV[2], 'sldexp', '-1', 'data', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS: entry, generation. ARGV: a new generation, its lifetime in ms.
    private const string Invalidate = """
        redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
        redis.call('DEL', KEYS[1])
        return 1
        """;

    /// <summary>The cached value of <paramref name="key"/>, else what <paramref name="load"/> returns, stored unless the key changed meanwhile.</summary>
    public async Task<byte[]?> GetOrLoadAsync(string key, Func<CancellationToken, Task<byte[]?>> load, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var prefetched = requests.HttpContext?.Features.Get<PrefetchedEntries>();
        byte[]? cached = null;
        if (prefetched is null || !prefetched.TryGet(key, out cached))
        {
            cached = await cache.GetAsync(key, cancellationToken);
        }

        if (cached is not null)
        {
            return cached;
        }

        var generation = (string?)await redis.Database.StringGetAsync(GenerationKey(key)) ?? string.Empty;
        var loaded = await load(cancellationToken);
        if (loaded is null)
        {
            return null;
        }

        var expires = time.GetUtcNow().Add(lifetime);
        await redis.Database.ScriptEvaluateAsync(StoreIfUnchanged, [EntryKey(key), GenerationKey(key)],
            [generation, expires.Ticks, (long)lifetime.TotalMilliseconds, loaded]);
        return loaded;
    }

    /// <summary>Removes the entry and makes every load already under way for it store nothing. Call after each change.</summary>
    public async Task InvalidateAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        requests.HttpContext?.Features.Get<PrefetchedEntries>()?.Remove(key);
        await redis.Database.ScriptEvaluateAsync(Invalidate, [EntryKey(key), GenerationKey(key)],
            [Guid.NewGuid().ToString("N"), (long)GenerationLifetime.TotalMilliseconds]);
    }

    /// <summary>Where Microsoft's cache keeps the entry of <paramref name="key"/>: its instance name is the key prefix plus the key space.</summary>
    internal static RedisKey EntryKey(string key) => CacheRegistration.KeySpace + key;

    private static RedisKey GenerationKey(string key) => CacheRegistration.KeySpace + "generation:" + key;
}
