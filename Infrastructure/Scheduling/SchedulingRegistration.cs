using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Scheduling;

internal static class SchedulingRegistration
{
    /// <summary>The scheduler of this process, its guards and its history; the schedules come from <see cref="AddSchedule"/>.</summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SchedulingOptions>().Bind(configuration.GetSection(SchedulingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchedulingOptions>, SchedulingOptionsValidator>();
        services.AddOptions<Schedule>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<Schedule>, ScheduleValidator>();
        services.AddSingleton<ScheduleCatalog>();
        services.AddSingleton<ScheduleLocks>();
        services.AddSingleton<ScheduleHistory>();
        // One instance, both hosted and asked directly: a manual run is tracked with the scheduled ones on stop.
        services.AddSingleton<Scheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<Scheduler>());
        return services;
    }

    /// <summary>Adds schedules: <c>services.AddSchedule(s =&gt; s.Job&lt;X&gt;().Hourly().OnOneServer())</c>.</summary>
    public static IServiceCollection AddSchedule(this IServiceCollection services, Action<Schedule> configure) =>
        services.Configure(configure);
}
