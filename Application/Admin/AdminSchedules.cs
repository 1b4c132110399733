using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Admin;

/// <summary>The schedules that look after the application itself.</summary>
internal static class AdminSchedules
{
    /// <summary>The contract's name of the heartbeat schedule.</summary>
    public const string Heartbeat = "heartbeat";

    public static IServiceCollection AddAdminSchedules(this IServiceCollection services) =>
        services.AddSchedule(schedule =>
        {
            schedule.Job<HeartbeatJob>().Named(Heartbeat).EverySeconds(5).OnOneServer();
            schedule.Job<PruneScheduleRunsJob>().DailyAt("03:30").OnOneServer().WithoutOverlapping();
        });
}
