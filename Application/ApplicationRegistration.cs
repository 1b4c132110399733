using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SecondServer.Application.Accounts;
using SecondServer.Application.Admin;
using SecondServer.Application.Data;
using SecondServer.Application.Data.Migrations;
using SecondServer.Application.Profiles;
using SecondServer.Application.QueueProbe;
using SecondServer.Application.Reports;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application;

/// <summary>The features both hosts share: their services, job handlers, schedules and schema.</summary>
internal static class ApplicationRegistration
{
    public static IHostApplicationBuilder AddApplication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAppDatabase<AppDbContext>(SqlFileRelease.Baseline);
        builder.Services.AddAccounts(builder.Configuration);
        builder.Services.AddProfiles(builder.Configuration);
        builder.Services.AddReports();
        builder.Services.AddQueueProbe();
        builder.Services.AddAdminSchedules();
        return builder;
    }
}
