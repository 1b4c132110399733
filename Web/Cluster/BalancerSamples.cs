using System.Globalization;
using System.Text.Json;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Web.Cluster;

/// <summary>What HAProxy said of each replica at one moment (<c>show stat</c>), as the cluster page keeps it.</summary>
/// <param name="At">When it was read.</param>
/// <param name="Servers">One entry per server of the backend.</param>
internal sealed record BalancerSample(DateTimeOffset At, IReadOnlyList<ServerSample> Servers);

/// <summary>One server in a <see cref="BalancerSample"/>: counters since HAProxy started, so rates come from two samples.</summary>
internal sealed record ServerSample(string Name, string Status, long? Requests, long? ResponseTimeMs, long? InStateForSeconds);

/// <summary>
/// The balancer's samples in Redis: one sorted set scored by time, trimmed to <see cref="Retention"/>, so every
/// replica's cluster page draws the same history and no replica keeps state of its own.
/// </summary>
/// <remarks>
/// Every replica samples; the first to claim a period's key (<c>SET NX</c>, like a schedule slot) writes it, so there
/// is one sample per period while any replica is up, and none is lost when one goes down.
/// </remarks>
internal sealed class BalancerSamples(RedisConnection redis)
{
    /// <summary>How often the replicas sample HAProxy.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>How far back samples are kept: the health history's reach.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private const string Key = "balancer:samples";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Stores <paramref name="sample"/> unless another replica stored one for its period; true when stored.</summary>
    public async Task<bool> TryAddAsync(BalancerSample sample, string instance, CancellationToken cancellationToken)
    {
        var period = sample.At.ToUnixTimeMilliseconds() / (long)Interval.TotalMilliseconds;
        var database = redis.Database;
        if (!await database.StringSetAsync($"balancer:sampled:{period.ToString(CultureInfo.InvariantCulture)}", instance, Interval * 2, When.NotExists).WaitAsync(cancellationToken))
        {
            return false;
        }

        var at = sample.At.ToUnixTimeMilliseconds();
        var batch = database.CreateBatch();
        var add = batch.SortedSetAddAsync(Key, JsonSerializer.Serialize(sample, Json), at);
        var trim = batch.SortedSetRemoveRangeByScoreAsync(Key, double.NegativeInfinity, at - Retention.TotalMilliseconds, Exclude.Stop);
        var expire = batch.KeyExpireAsync(Key, Retention);
        batch.Execute();
        await Task.WhenAll(add, trim, expire).WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>The samples taken since <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<BalancerSample>> ReadAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var values = await redis.Database.SortedSetRangeByScoreAsync(Key, since.ToUnixTimeMilliseconds()).WaitAsync(cancellationToken);
        return [.. values.Select(v => JsonSerializer.Deserialize<BalancerSample>((string)v!, Json)).OfType<BalancerSample>()];
    }
}
