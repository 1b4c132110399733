using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Application.Reports;

internal static class ReportsRegistration
{
    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        // A queue of their own: a burst of reports (minutes each) never holds up the short jobs on "default".
        services.AddJob<GenerateReportJob, GenerateReportHandler>(job =>
        {
            job.Queue = "reports";
            job.MaxAttempts = 3;
        });
        services.AddSingleton<ReportService>();
        services.AddSchedule(s =>
        {
            s.Job<DailyAccountsReportJob>().Named(DailyAccountsReportJob.Name).DailyAt("02:00").OnOneServer();
            s.Job<RequeueStrandedReportsJob>().Named(RequeueStrandedReportsJob.Name).EverySeconds(10).OnOneServer().WithoutOverlapping();
        });
        return services;
    }
}
