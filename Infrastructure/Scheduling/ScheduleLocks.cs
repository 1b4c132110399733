using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// The scheduler's two Redis guards. Every method throws when Redis cannot answer; the scheduler then skips the slot
/// rather than run it unguarded.
/// </summary>
internal sealed class ScheduleLocks(RedisConnection redis, IOptions<SchedulingOptions> options)
{
    // Owner checks and the write happen in one script, so a lease that expired and was taken by another server is
    // never extended or deleted by its former holder. Keys travel in KEYS, the only place the key prefix is applied.
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    public static string SlotKey(string schedule, DateTimeOffset slot) => $"sched:{schedule}:{ScheduleDefinition.SlotStamp(slot)}";

    public static string LeaseKey(string schedule) => $"sched-run:{schedule}";

    /// <summary>
    /// <c>SET NX PX</c> on the slot's key: true for the one server that claims it first; otherwise the owner that did
    /// (for the history). Never released: it expires once no server can try the slot any more.
    /// </summary>
    public Task<(bool Claimed, string? Owner)> TryClaimSlotAsync(string schedule, DateTimeOffset slot, string owner, CancellationToken cancellationToken) =>
        TrySetAsync(SlotKey(schedule, slot), owner, options.Value.SlotClaimTtl, cancellationToken);

    /// <summary>Takes the schedule's overlap lease for <paramref name="owner"/>, or tells who holds it.</summary>
    public Task<(bool Claimed, string? Owner)> TryAcquireLeaseAsync(string schedule, string owner, CancellationToken cancellationToken) =>
        TrySetAsync(LeaseKey(schedule), owner, options.Value.OverlapLeaseTtl, cancellationToken);

    /// <summary>Extends the lease to a full TTL if <paramref name="owner"/> still holds it.</summary>
    public async Task<bool> RenewLeaseAsync(string schedule, string owner, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        var ttl = (long)options.Value.OverlapLeaseTtl.TotalMilliseconds;
        var result = await database.ScriptEvaluateAsync(RenewScript, [LeaseKey(schedule)], [owner, ttl]).WaitAsync(cancellationToken);
        return (long)result == 1;
    }

    /// <summary>Deletes the lease if <paramref name="owner"/> still holds it (compare-and-delete).</summary>
    public async Task<bool> ReleaseLeaseAsync(string schedule, string owner, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        var result = await database.ScriptEvaluateAsync(ReleaseScript, [LeaseKey(schedule)], [owner]).WaitAsync(cancellationToken);
        return (long)result == 1;
    }

    private async Task<(bool, string?)> TrySetAsync(string key, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        if (await database.StringSetAsync(key, owner, ttl, When.NotExists).WaitAsync(cancellationToken))
        {
            return (true, owner);
        }

        return (false, (string?)await database.StringGetAsync(key).WaitAsync(cancellationToken));
    }
}
