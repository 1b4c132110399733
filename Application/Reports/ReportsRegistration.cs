using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Queue;

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
        return services;
    }
}
