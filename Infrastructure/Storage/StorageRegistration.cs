using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;

namespace SecondServer.Infrastructure.Storage;

internal static class StorageRegistration
{
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(ConnectionStringKeys.Storage))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IAmazonS3>(sp => S3ClientFactory.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        // Only signs URLs, never sends a request: presigned URLs name the address browsers reach the store at.
        services.AddKeyedSingleton<IAmazonS3>(ObjectStorage.UrlSigner, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return S3ClientFactory.Create(options, options.PublicEndpoint ?? options.Endpoint);
        });
        services.AddSingleton<ObjectStorage>();
        services.AddSingleton<BucketInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<BucketInitializer>());
        services.AddHealthChecks().AddCheck<S3HealthCheck>("s3", timeout: TimeSpan.FromSeconds(3));
        return services;
    }
}
