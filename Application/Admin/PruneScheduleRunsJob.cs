using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Admin;

/// <summary>Keeps the run history to <c>Scheduling:HistoryRetentionDays</c>, counted back from the slot it runs for.</summary>
internal sealed class PruneScheduleRunsJob(ScheduleHistory history, IOptions<SchedulingOptions> options, ILogger<PruneScheduleRunsJob> logger) : IScheduledJob
{
    public async Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken)
    {
        var cutoff = run.Slot.AddDays(-options.Value.HistoryRetentionDays);
        var deleted = await history.PruneAsync(cutoff, cancellationToken);
        logger.LogInformation("Deleted {Count} schedule runs older than {Cutoff:O}", deleted, cutoff);
    }
}
