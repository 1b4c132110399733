using SecondServer.Infrastructure.Redis;

namespace SecondServer.Infrastructure.RateLimiting;

/// <summary>Whether an action may proceed; when not, how long until it may.</summary>
internal readonly record struct RateLimitDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Counts events per key in the shared Redis in a fixed window that starts with the first event, so every
/// replica sees the same count: two replicas never double the allowance.
/// </summary>
internal sealed class RedisRateLimiter(RedisConnection redis)
{
    private const string CheckScript = """
        local count = tonumber(redis.call('GET', KEYS[1]) or '0')
        if count < tonumber(ARGV[1]) then return {1, 0} end
        return {0, redis.call('PTTL', KEYS[1])}
        """;

    private const string CountScript = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return count
        """;

    public async Task<RateLimitDecision> CheckAsync(string key, int limit, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        var result = (long[])(await database.ScriptEvaluateAsync(CheckScript, [LimitKey(key)], [limit]))!;
        return new RateLimitDecision(result[0] == 1, TimeSpan.FromMilliseconds(Math.Max(result[1], 1000)));
    }

    /// <summary>Counts one event; returns the count in the current window.</summary>
    public async Task<long> CountAsync(string key, TimeSpan window, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        return (long)await database.ScriptEvaluateAsync(CountScript, [LimitKey(key)], [(long)window.TotalMilliseconds]);
    }

    public async Task ResetAsync(string key, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        await database.KeyDeleteAsync(LimitKey(key));
    }

    private static string LimitKey(string key) => $"ratelimit:{key}";
}
