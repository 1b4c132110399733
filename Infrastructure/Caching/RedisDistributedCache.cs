using Microsoft.Extensions.Caching.Distributed;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> on the shared Redis, with the layout and expiry semantics of Microsoft's
/// RedisCache (a hash with <c>absexp</c>, <c>sldexp</c>, <c>data</c>; TTL = the nearer of the absolute end and the
/// sliding window; a read slides it) but each operation one atomic script instead of two round trips.
/// (Microsoft.Extensions.Caching.StackExchangeRedis needs StackExchange.Redis 2.x, which does not restore here.)
/// </summary>
/// <remarks>
/// Only the async methods are supported: the synchronous ones would block on the Redis client in a way that can
/// stall it (see <see cref="RedisConnection"/>). ASP.NET Core's session is used through LoadAsync/CommitAsync.
/// </remarks>
internal sealed class RedisDistributedCache(RedisConnection redis, TimeProvider time) : IDistributedCache
{
    private const long NotPresent = -1;

    private const string SetScript = """
        redis.call('HSET', KEYS[1], 'absexp', ARGV[1], 'sldexp', ARGV[2], 'data', ARGV[3])
        if ARGV[4] ~= '-1' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) else redis.call('PERSIST', KEYS[1]) end
        return 1
        """;

    // Reads and, for sliding entries, pushes the expiry out by the window (capped by the absolute end).
    private const string GetScript = """
        local v = redis.call('HMGET', KEYS[1], 'absexp', 'sldexp', 'data')
        if v[3] == false then return nil end
        local absexp = tonumber(v[1])
        local sldexp = tonumber(v[2])
        if ARGV[2] == '1' and sldexp ~= -1 then
            local ttl = sldexp
            if absexp ~= -1 then
                local remaining = absexp - tonumber(ARGV[1])
                if remaining < ttl then ttl = remaining end
            end
            if ttl <= 0 then redis.call('DEL', KEYS[1]) return nil end
            redis.call('PEXPIRE', KEYS[1], ttl)
        end
        return v[3]
        """;

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        (byte[]?)await ReadAsync(key, slide: true, token);

    public async Task RefreshAsync(string key, CancellationToken token = default) =>
        await ReadAsync(key, slide: true, token);

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var database = await redis.GetDatabaseAsync(token);
        await database.KeyDeleteAsync(CacheKey(key));
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var now = time.GetUtcNow();
        var absolute = options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : options.AbsoluteExpiration;
        if (absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration value must be in the future.");
        }

        var sliding = options.SlidingExpiration;
        long? ttl = (absolute, sliding) switch
        {
            ({ } a, { } s) => (long)Math.Min((a - now).TotalMilliseconds, s.TotalMilliseconds),
            ({ } a, null) => (long)(a - now).TotalMilliseconds,
            (null, { } s) => (long)s.TotalMilliseconds,
            _ => null,
        };
        var database = await redis.GetDatabaseAsync(token);
        await database.ScriptEvaluateAsync(SetScript, [CacheKey(key)],
            [absolute?.ToUnixTimeMilliseconds() ?? NotPresent, (long?)sliding?.TotalMilliseconds ?? NotPresent, value, ttl ?? NotPresent]);
    }

    public byte[]? Get(string key) => throw SyncNotSupported();

    public void Refresh(string key) => throw SyncNotSupported();

    public void Remove(string key) => throw SyncNotSupported();

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw SyncNotSupported();

    private async Task<RedisResult> ReadAsync(string key, bool slide, CancellationToken token)
    {
        var database = await redis.GetDatabaseAsync(token);
        return await database.ScriptEvaluateAsync(GetScript, [CacheKey(key)], [time.GetUtcNow().ToUnixTimeMilliseconds(), slide ? "1" : "0"]);
    }

    private static string CacheKey(string key) => $"cache:{key}";

    private static NotSupportedException SyncNotSupported() =>
        new("The shared cache is async only: use GetAsync/SetAsync/RefreshAsync/RemoveAsync (and ISession.LoadAsync before reading a session).");
}
