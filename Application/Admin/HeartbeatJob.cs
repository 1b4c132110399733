using Microsoft.Extensions.Logging;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Admin;

/// <summary>
/// Proves the scheduler alive cluster-wide: its runs, one per slot on whichever instance claimed it, are what
/// <c>/api/admin/schedule/runs?job=heartbeat</c> shows. The scheduler records the run; the job itself only logs.
/// </summary>
internal sealed class HeartbeatJob(ILogger<HeartbeatJob> logger) : IScheduledJob
{
    public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken)
    {
        logger.LogDebug("Heartbeat for slot {Slot:O} on {Instance}", run.Slot, run.Instance);
        return Task.CompletedTask;
    }
}
