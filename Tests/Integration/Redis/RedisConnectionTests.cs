using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Integration.Redis;

public sealed class RedisConnectionTests
{
    [Fact]
    public async Task Connects_with_the_password_and_prefixes_every_key()
    {
        var prefix = TestEnvironment.NewName("t") + ":";
        using var redis = TestRedis.Connect(TestEnvironment.Redis, prefix);

        await redis.Connection.Database.StringSetAsync("greeting", "hello", TimeSpan.FromMinutes(1));

        var raw = redis.Connection.Multiplexer.GetDatabase();
        Assert.Equal("hello", (string?)await raw.StringGetAsync(prefix + "greeting"));
        Assert.False(await raw.KeyExistsAsync("greeting"));
        Assert.Same(redis.Services.GetRequiredService<IConnectionMultiplexer>(), redis.Connection.Multiplexer);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-password")]
    public async Task Without_the_right_password_nothing_is_served_and_readiness_says_so(string? password)
    {
        var ct = TestContext.Current.CancellationToken;
        var endpoint = ConfigurationOptions.Parse(TestEnvironment.Redis).EndPoints[0].ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal);
        var connectionString = password is null ? endpoint : $"{endpoint},password={password}";
        using var redis = TestRedis.Connect(connectionString, "t:");

        var report = await redis.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "redis", ct);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["redis"].Status);
        await Assert.ThrowsAnyAsync<RedisException>(() => redis.Connection.Database.StringGetAsync("anything"));
    }
}
