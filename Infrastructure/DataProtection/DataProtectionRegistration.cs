using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Infrastructure.DataProtection;

internal static class DataProtectionRegistration
{
    /// <summary>
    /// One application name on every replica and in every release folder: the default discriminator is the content
    /// root path, which differs between release folders and would void every cookie at each deploy.
    /// </summary>
    public const string ApplicationName = "SecondServer";

    /// <summary>The Redis list holding the key ring, after the application's key prefix.</summary>
    public const string KeyRingKey = "dataprotection:keys";

    public static IServiceCollection AddSharedDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        // Registered first so that it starts before the framework's hosted service reads the key ring.
        services.AddSingleton<KeyRingMaintainer>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyRingMaintainer>());
        services.AddDataProtection()
            .SetApplicationName(configuration["DataProtection:ApplicationName"] ?? ApplicationName)
            .DisableAutomaticKeyGeneration();
        // Microsoft's Redis key store on the process's one multiplexer: a list of key XML elements, the layout the
        // previous releases wrote under the same key, so every release reads the same ring.
        services.AddOptions<KeyManagementOptions>().Configure<RedisConnection>((o, redis) =>
            o.XmlRepository = new RedisXmlRepository(() => redis.Multiplexer.GetDatabase(), redis.KeyPrefix + KeyRingKey));
        services.AddHealthChecks().AddCheck<KeyRingHealthCheck>("dataprotection");
        return services;
    }
}
