using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Reports;

/// <summary>The daily accounts report: the schedule only queues it, a worker builds it (rules 4 and 5 together).</summary>
internal sealed class DailyAccountsReportJob(ReportService reports) : IScheduledJob
{
    public const string Name = "accounts-report";

    public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => reports.RequestAsync(requestedBy: null, cancellationToken);
}
