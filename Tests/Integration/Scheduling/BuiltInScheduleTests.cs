using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Application.Admin;
using SecondServer.Application.Profiles;
using SecondServer.Application.Reports;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Scheduling;

/// <summary>The application's own schedules: which exist, how often, with which guards, and what running one does.</summary>
public sealed class BuiltInScheduleTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    public async ValueTask InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(1, 0, o => o.Name = "schedules", TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public void Every_server_has_the_heartbeat_the_daily_report_and_the_cleanups_on_one_server()
    {
        var schedules = Web.Services.GetRequiredService<ScheduleCatalog>().Schedules.ToDictionary(s => s.Name);
        var noon = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(noon.AddSeconds(5), schedules[AdminSchedules.Heartbeat].NextSlotAfter(noon));
        Assert.Equal(new DateTimeOffset(2026, 6, 2, 2, 0, 0, TimeSpan.Zero), schedules[DailyAccountsReportJob.Name].NextSlotAfter(noon));
        Assert.Equal(noon.AddHours(1), schedules[OrphanedPictureCleanupJob.Name].NextSlotAfter(noon));
        Assert.True(schedules[OrphanedPictureCleanupJob.Name].WithoutOverlapping);
        Assert.All(schedules.Values, s => Assert.True(s.OnOneServer, $"{s.Name} would run on every server"));
    }

    [Fact]
    public async Task The_daily_report_schedule_queues_a_report()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scope = Web.Services.CreateScope();
        var job = ActivatorUtilities.CreateInstance<DailyAccountsReportJob>(scope.ServiceProvider);

        await job.ExecuteAsync(new ScheduledRun(DailyAccountsReportJob.Name, DateTimeOffset.UtcNow, "web-schedules"), ct);

        await using var connection = await _cluster.Database.Connections.OpenAsync(ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM reports WHERE status = 'queued' AND requested_by IS NULL"));
    }
}
