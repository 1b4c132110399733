using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Caching;
using SecondServer.Infrastructure.Redis;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Caching;

/// <summary>The expiry semantics of Microsoft's RedisCache, checked against the TTLs the real server holds.</summary>
public sealed class RedisDistributedCacheTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RedisConnection _redis;
    private readonly RedisDistributedCache _cache;

    public RedisDistributedCacheTests()
    {
        _redis = new RedisConnection(Options.Create(new RedisOptions { ConnectionString = TestEnvironment.Redis, KeyPrefix = TestEnvironment.NewName("t") + ":" }),
            new ConfigurationBuilder().Build(), NullLogger<RedisConnection>.Instance);
        _cache = new RedisDistributedCache(_redis, _time);
    }

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task Sliding_entries_live_for_the_window_and_each_read_slides_it_up_to_the_absolute_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await _cache.SetAsync("both", [1, 2, 3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(60), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(100) }, ct);
        var initial = await TtlAsync("both");

        _time.Advance(TimeSpan.FromSeconds(70));
        var value = await _cache.GetAsync("both", ct);
        var afterRead = await TtlAsync("both");

        Assert.InRange(initial, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));
        Assert.Equal([1, 2, 3], value);
        // 30 s remain to the absolute end, less than the 60 s window: the read slides only that far.
        Assert.InRange(afterRead, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Absolute_only_entries_do_not_slide_and_entries_without_expiry_persist()
    {
        var ct = TestContext.Current.CancellationToken;
        await _cache.SetAsync("absolute", [9], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(40) }, ct);
        await _cache.SetAsync("forever", [8], new DistributedCacheEntryOptions(), ct);

        await _cache.GetAsync("absolute", ct);

        Assert.InRange(await TtlAsync("absolute"), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(40));
        Assert.Equal(TimeSpan.MinValue, await TtlAsync("forever"));
    }

    [Fact]
    public async Task An_absolute_expiry_in_the_past_is_refused_and_removal_removes()
    {
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            _cache.SetAsync("past", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = _time.GetUtcNow().AddSeconds(-1) }, ct));

        await _cache.SetAsync("gone", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, ct);
        await _cache.RemoveAsync("gone", ct);

        Assert.Null(await _cache.GetAsync("gone", ct));
        Assert.Throws<NotSupportedException>(() => _cache.Get("gone"));
    }

    private async Task<TimeSpan> TtlAsync(string key)
    {
        var database = await _redis.GetDatabaseAsync(TestContext.Current.CancellationToken);
        return await database.KeyTimeToLiveAsync($"cache:{key}") ?? TimeSpan.MinValue;
    }
}
