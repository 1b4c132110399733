using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Profiles;

/// <summary>Runs the orphaned-picture cleanup on one server each hour, never twice at once.</summary>
internal sealed class OrphanedPictureCleanupJob(OrphanedPictureCleanup cleanup) : IScheduledJob
{
    public const string Name = "orphaned-pictures";

    public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => cleanup.RunAsync(cancellationToken);
}
