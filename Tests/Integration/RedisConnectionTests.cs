using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Redis;
using SecondServer.Tests.Support;
using StackExchange.Redis;

namespace SecondServer.Tests.Integration;

public sealed class RedisConnectionTests
{
    [Fact]
    public async Task Connects_with_the_password_and_prefixes_every_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = TestEnvironment.NewName("t") + ":";
        await using var redis = ConnectionTo(TestEnvironment.Redis, prefix);

        var database = await redis.GetDatabaseAsync(ct);
        await database.StringSetAsync("greeting", "hello", TimeSpan.FromMinutes(1));

        var raw = (await redis.GetMultiplexerAsync(ct)).GetDatabase();
        Assert.Equal("hello", (string?)await raw.StringGetAsync(prefix + "greeting"));
        Assert.False(await raw.KeyExistsAsync("greeting"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-password")]
    public async Task Without_the_right_password_nothing_is_served(string? password)
    {
        var ct = TestContext.Current.CancellationToken;
        var endpoint = ConfigurationOptions.Parse(TestEnvironment.Redis).EndPoints[0].ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal);
        var connectionString = password is null ? endpoint : $"{endpoint},password={password}";
        await using var redis = ConnectionTo(connectionString, "t:");

        var health = await new RedisHealthCheck(redis).CheckHealthAsync(new(), ct);

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, health.Status);
    }

    private static RedisConnection ConnectionTo(string connectionString, string prefix) =>
        new(Options.Create(new RedisOptions { ConnectionString = connectionString, KeyPrefix = prefix }),
            new ConfigurationBuilder().Build(), NullLogger<RedisConnection>.Instance);
}
