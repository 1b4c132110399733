using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace SecondServer.Infrastructure.Redis;

/// <summary>
/// This application's view of the one multiplexer of the process (registered by Aspire's <c>AddRedisClient</c>):
/// the database with the key prefix applied. The multiplexer never throws for an unreachable server: it keeps
/// reconnecting in the background while commands fail fast, so readiness can say "redis down" and recover.
/// </summary>
internal sealed class RedisConnection(IConnectionMultiplexer multiplexer, string keyPrefix, string endpoint)
{
    /// <summary>The prefix in front of every key this application writes.</summary>
    public string KeyPrefix { get; } = keyPrefix;

    /// <summary>Where the server is, for messages and diagnostics (never the password).</summary>
    public string Endpoint { get; } = endpoint;

    public IConnectionMultiplexer Multiplexer { get; } = multiplexer;

    /// <summary>The database with this application's key prefix applied to every key, scripts' KEYS included.</summary>
    public IDatabase Database { get; } = multiplexer.GetDatabase().WithKeyPrefix(keyPrefix);
}
