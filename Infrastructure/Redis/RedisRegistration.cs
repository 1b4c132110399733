using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;
using SecondServer.Infrastructure.Locking;
using SecondServer.ServiceDefaults;
using SecondServer.ServiceDefaults.Telemetry;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Redis;

internal static class RedisRegistration
{
    public static IHostApplicationBuilder AddSharedRedis(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<RedisOptions>()
            .Bind(configuration.GetSection(RedisOptions.Section))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(ConnectionStringKeys.Redis))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();

        // One multiplexer per process, with Aspire's logging and tracing. Its health check is added below under the
        // name "redis" (what /health/ready has always reported) and with a timeout, so a hung server fails it in time.
        var clientName = InstanceIdentity.Of(builder).Name.Replace(' ', '-').Replace(':', '-');
        builder.AddRedisClient(ConnectionStringKeys.Redis,
            settings =>
            {
                settings.DisableHealthChecks = true;
                settings.DisableTracing = !OpenTelemetrySetup.TracesSpans(configuration);
            },
            options => RedisOptions.ApplyClusterDefaults(options, clientName));
        // The multiplexer logs every reconnect attempt, ten a second during an outage, each failure with its stack;
        // this process logs the loss and the return once each instead (below).
        builder.Logging.AddFilter("StackExchange.Redis", LogLevel.None);
        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), "redis", timeout: TimeSpan.FromSeconds(2));

        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var multiplexer = sp.GetRequiredService<IConnectionMultiplexer>();
            var logger = sp.GetRequiredService<ILogger<RedisConnection>>();
            var endpoint = string.Join(",", multiplexer.GetEndPoints().Select(e => e.ToString()));
            multiplexer.ConnectionFailed += (_, e) => logger.LogWarning("Redis connection lost ({FailureType}) to {Endpoint}", e.FailureType, e.EndPoint);
            multiplexer.ConnectionRestored += (_, e) => logger.LogInformation("Redis connection restored to {Endpoint}", e.EndPoint);
            if (!multiplexer.IsConnected)
            {
                logger.LogWarning("Redis at {Endpoint} is not reachable yet; retrying in the background", endpoint);
            }

            return new RedisConnection(multiplexer, options.KeyPrefix, endpoint);
        });
        builder.Services.AddSingleton<RedisLock>();
        builder.Services.AddHostedService<RedisWarmup>();
        return builder;
    }

    /// <summary>Connects at boot (bounded by the connect timeout), so the first request does not pay for it.</summary>
    private sealed class RedisWarmup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<RedisConnection>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
