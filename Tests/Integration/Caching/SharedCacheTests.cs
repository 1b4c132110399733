using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Caching;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Integration.Caching;

/// <summary>
/// The shared cache is Microsoft's RedisCache under the key space earlier releases used; absolute-only entries,
/// the kind the application writes, are read and removed alike by this release and the previous one.
/// </summary>
public sealed class SharedCacheTests : IDisposable
{
    // The previous release's own read, word for word: a hash whose expiry fields it reads in milliseconds.
    private const string PreviousReleaseGet = """
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

    private readonly string _prefix = TestEnvironment.NewName("t") + ":";
    private readonly TestRedis _redis;
    private readonly IDistributedCache _cache;

    public SharedCacheTests()
    {
        _redis = TestRedis.Connect(TestEnvironment.Redis, _prefix);
        _cache = _redis.Services.GetRequiredService<IDistributedCache>();
    }

    public void Dispose() => _redis.Dispose();

    private IDatabase Raw => _redis.Connection.Multiplexer.GetDatabase();

    [Fact]
    public async Task An_entry_this_release_writes_lives_under_the_shared_key_space_and_the_previous_release_reads_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await _cache.SetAsync("profile:1", [1, 2, 3], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) }, ct);

        var ttl = await Raw.KeyTimeToLiveAsync($"{_prefix}cache:profile:1");
        var read = (byte[]?)await Raw.ScriptEvaluateAsync(PreviousReleaseGet, [$"{_prefix}cache:profile:1"], [DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "1"]);

        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal([1, 2, 3], read);
        Assert.InRange((await Raw.KeyTimeToLiveAsync($"{_prefix}cache:profile:1"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task An_entry_the_consistent_cache_stores_is_read_by_the_previous_release_and_a_plain_removal_clears_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var consistent = _redis.Services.GetRequiredService<ConsistentCache>();
        var key = $"{_prefix}cache:profile:3";

        var loaded = await consistent.GetOrLoadAsync("profile:3", _ => Task.FromResult<byte[]?>([4, 5]), TimeSpan.FromMinutes(10), ct);
        var read = (byte[]?)await Raw.ScriptEvaluateAsync(PreviousReleaseGet, [key], [DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "1"]);

        Assert.Equal([4, 5], loaded);
        Assert.Equal([4, 5], read);
        Assert.Equal([4, 5], await _cache.GetAsync("profile:3", ct));
        Assert.InRange((await Raw.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        // The previous release invalidates by removing the entry, nothing more; the next read loads again.
        await Raw.KeyDeleteAsync(key);
        Assert.Equal([6], await consistent.GetOrLoadAsync("profile:3", _ => Task.FromResult<byte[]?>([6]), TimeSpan.FromMinutes(10), ct));
    }

    [Fact]
    public async Task A_load_that_an_invalidation_overtook_is_returned_but_not_stored()
    {
        var ct = TestContext.Current.CancellationToken;
        var consistent = _redis.Services.GetRequiredService<ConsistentCache>();

        var loaded = await consistent.GetOrLoadAsync("profile:4", async token =>
        {
            // The change lands while this load is under way.
            await consistent.InvalidateAsync("profile:4", token);
            return [1];
        }, TimeSpan.FromMinutes(10), ct);

        Assert.Equal([1], loaded);
        Assert.Null(await _cache.GetAsync("profile:4", ct));
        Assert.Equal([2], await consistent.GetOrLoadAsync("profile:4", _ => Task.FromResult<byte[]?>([2]), TimeSpan.FromMinutes(10), ct));
        Assert.Equal([2], await _cache.GetAsync("profile:4", ct));
    }

    [Fact]
    public async Task An_entry_the_previous_release_wrote_is_read_and_removed_by_this_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = $"{_prefix}cache:profile:2";
        var absoluteEnd = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds();
        await Raw.HashSetAsync(key, [new("absexp", absoluteEnd), new("sldexp", -1), new("data", new byte[] { 7, 8 })]);
        await Raw.KeyExpireAsync(key, TimeSpan.FromMinutes(10));

        Assert.Equal([7, 8], await _cache.GetAsync("profile:2", ct));
        Assert.InRange((await Raw.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));

        await _cache.RemoveAsync("profile:2", ct);
        Assert.False(await Raw.KeyExistsAsync(key));
    }

    [Fact]
    public async Task Sliding_entries_slide_on_read_up_to_their_absolute_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await _cache.SetAsync("slides", [5], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(60), AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(30) }, ct);
        await Raw.KeyExpireAsync($"{_prefix}cache:slides", TimeSpan.FromSeconds(5));

        Assert.Equal([5], await _cache.GetAsync("slides", ct));
        Assert.InRange((await Raw.KeyTimeToLiveAsync($"{_prefix}cache:slides"))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
    }
}
