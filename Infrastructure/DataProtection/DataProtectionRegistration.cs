using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Infrastructure.DataProtection;

internal static class DataProtectionRegistration
{
    /// <summary>
    /// One application name on every replica and in every release folder: the default discriminator is the content
    /// root path, which differs between release folders and would void every cookie at each deploy.
    /// </summary>
    public const string ApplicationName = "SecondServer";

    public static IServiceCollection AddSharedDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        // Registered first so that it starts before the framework's hosted service reads the key ring.
        services.AddSingleton<KeyRingMaintainer>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyRingMaintainer>());
        services.AddDataProtection()
            .SetApplicationName(configuration["DataProtection:ApplicationName"] ?? ApplicationName)
            .DisableAutomaticKeyGeneration();
        services.AddSingleton(sp =>
        {
            var redis = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return new RedisXmlRepository(redis.ToConfiguration("dataprotection"), redis.KeyPrefix);
        });
        services.AddOptions<KeyManagementOptions>().Configure<RedisXmlRepository>((o, repository) => o.XmlRepository = repository);
        services.AddHealthChecks().AddCheck<KeyRingHealthCheck>("dataprotection");
        return services;
    }
}
