using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;
using SecondServer.Infrastructure.Locking;

namespace SecondServer.Infrastructure.Redis;

internal static class RedisRegistration
{
    public static IServiceCollection AddRedis(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RedisOptions>()
            .Bind(configuration.GetSection(RedisOptions.Section))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(ConnectionStringKeys.Redis))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<RedisLock>();
        services.AddHostedService<RedisWarmup>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", timeout: TimeSpan.FromSeconds(2));
        return services;
    }

    /// <summary>Starts connecting at boot without holding the boot up.</summary>
    private sealed class RedisWarmup(RedisConnection redis) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = redis.GetMultiplexerAsync(CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
