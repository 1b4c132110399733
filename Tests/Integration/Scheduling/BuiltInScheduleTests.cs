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
    private TestDatabase _database = null!;
    private TestHost _web = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _web = await TestHost.StartWebAsync("web-schedules", TestHost.SharedSettings(_database.ConnectionString));
        await _web.WaitUntilReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public void Every_server_has_the_heartbeat_the_daily_report_and_the_cleanups_on_one_server()
    {
        var schedules = _web.Services.GetRequiredService<ScheduleCatalog>().Schedules.ToDictionary(s => s.Name);
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
        using var scope = _web.Services.CreateScope();
        var job = ActivatorUtilities.CreateInstance<DailyAccountsReportJob>(scope.ServiceProvider);

        await job.ExecuteAsync(new ScheduledRun(DailyAccountsReportJob.Name, DateTimeOffset.UtcNow, "web-schedules"), ct);

        await using var connection = await _database.Connections.OpenAsync(ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM reports WHERE status = 'queued' AND requested_by IS NULL"));
    }
}
