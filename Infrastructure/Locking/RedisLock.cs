using System.Security.Cryptography;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Locking;

/// <summary>
/// A cluster-wide mutex in Redis: <c>SET key token NX PX ttl</c>; release and extend only by the owner's token,
/// compare-and-set in Lua, so a holder whose lease expired can never release or extend someone else's.
/// </summary>
internal sealed class RedisLock(RedisConnection redis, TimeProvider time)
{
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const string ExtendScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    /// <summary>Takes the lock if it is free; null when another owner holds it.</summary>
    public async Task<Lease?> TryAcquireAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var database = redis.Database;
        var taken = await database.StringSetAsync(key, token, ttl, When.NotExists);
        return taken ? new Lease(database, key, token) : null;
    }

    /// <summary>Waits (polling) until the lock is free or <paramref name="wait"/> passes; null on timeout.</summary>
    public async Task<Lease?> AcquireAsync(string key, TimeSpan ttl, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var lease = await TryAcquireAsync(key, ttl, cancellationToken);
            if (lease is not null || time.GetUtcNow() >= deadline)
            {
                return lease;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }
    }

    /// <summary>A held lock. Disposing releases it if this owner still holds it.</summary>
    internal sealed class Lease(IDatabase database, string key, string token) : IAsyncDisposable
    {
        public string Key => key;

        public string Token => token;

        /// <summary>Extends the lease; false when it was lost (expired and maybe taken by another owner).</summary>
        public async Task<bool> ExtendAsync(TimeSpan ttl) =>
            (long)await database.ScriptEvaluateAsync(ExtendScript, [key], [token, (long)ttl.TotalMilliseconds]) == 1;

        public async ValueTask DisposeAsync() =>
            await database.ScriptEvaluateAsync(ReleaseScript, [key], [token]);
    }
}
