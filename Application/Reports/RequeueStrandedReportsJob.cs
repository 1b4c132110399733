using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Reports;

/// <summary>Finds reports a crash left queued with no job and queues them again (see <see cref="ReportService.RequeueStrandedAsync"/>).</summary>
internal sealed class RequeueStrandedReportsJob(ReportService reports) : IScheduledJob
{
    public const string Name = "stranded-reports";

    public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => reports.RequeueStrandedAsync(cancellationToken);
}
