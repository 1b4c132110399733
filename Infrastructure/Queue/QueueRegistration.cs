using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Queue;

internal static class QueueRegistration
{
    /// <summary>Dispatching, the queue's storage and its administration: what every host needs.</summary>
    public static IServiceCollection AddQueue(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<QueueOptions>()
            .Bind(configuration.GetSection(QueueOptions.Section))
            .Configure(o => o.StopTimeout = configuration.GetValue("Shutdown:Timeout", o.StopTimeout))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>();
        services.AddSingleton<RedisJobQueue>();
        services.AddSingleton<JobRegistry>();
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<FailedJobStore>();
        services.AddSingleton<QueueAdminService>();
        return services;
    }

    /// <summary>The consumers: only the Worker host runs them.</summary>
    public static IServiceCollection AddQueueWorker(this IServiceCollection services)
    {
        services.AddSingleton<JobRunner>();
        services.AddHostedService<QueueWorker>();
        return services;
    }
}
