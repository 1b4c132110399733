using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecondServer.Application.Admin;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Scheduling;

public sealed class ScheduleHistoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Now);
    private TestDatabase _database = null!;
    private ScheduleHistory _history = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await AppSchema.MigrateAsync(_database.ConnectionString, TestContext.Current.CancellationToken);
        _history = new ScheduleHistory(_database.Connections, _clock);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Once_a_slot_ran_on_one_server_a_second_execution_is_refused_while_skips_are_kept()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = new ScheduledRun("report", Now, "web-1");

        Assert.NotNull(await _history.StartAsync(run, onceAcrossServers: true, ct));
        Assert.Null(await _history.StartAsync(run with { Instance = "web-2" }, onceAcrossServers: true, ct));
        await _history.RecordSkipAsync(run with { Instance = "web-2" }, ScheduleRunStatus.SkippedOtherServer, "Claimed by web-1.", ct);
        await _history.RecordSkipAsync(run with { Instance = "worker-1" }, ScheduleRunStatus.SkippedOtherServer, "Claimed by web-1.", ct);
        // A schedule without OnOneServer runs on every server: one slot, several executions.
        var everywhere = run with { Job = "cache-warmup" };
        Assert.NotNull(await _history.StartAsync(everywhere, onceAcrossServers: false, ct));
        Assert.NotNull(await _history.StartAsync(everywhere with { Instance = "web-2" }, onceAcrossServers: false, ct));

        Assert.Equal(
            [("web-1", ScheduleRunStatus.Running), ("web-2", ScheduleRunStatus.SkippedOtherServer), ("worker-1", ScheduleRunStatus.SkippedOtherServer)],
            (await _history.QueryAsync("report", 10, ct)).Select(r => (r.Instance, r.Status)).Order());
        Assert.Equal(2, (await _history.QueryAsync("cache-warmup", 10, ct)).Count);
    }

    [Fact]
    public async Task A_finished_run_reads_back_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = await _history.StartAsync(new ScheduledRun("report", Now, "web-1"), onceAcrossServers: true, ct);
        _clock.Advance(TimeSpan.FromSeconds(3));
        await _history.FinishAsync(id!.Value, ScheduleRunStatus.Failed, new string('x', 5000), ct);

        var run = Assert.Single(await _history.QueryAsync(null, 10, ct));

        Assert.Equal(("report", Now, "web-1", Now, Now.AddSeconds(3), ScheduleRunStatus.Failed), (run.Job, run.Slot, run.Instance, run.StartedAt, run.FinishedAt, run.Status));
        Assert.Equal(4000, run.Error!.Length);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_and_pruned_past_the_retention()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var days in new[] { 1, 3, 6, 8, 10 })
        {
            await _history.RecordSkipAsync(new ScheduledRun("a", Now.AddDays(-days), "web-1"), ScheduleRunStatus.SkippedOverlap, "busy", ct);
        }

        await _history.RecordSkipAsync(new ScheduledRun("b", Now.AddDays(-20), "web-1"), ScheduleRunStatus.SkippedOverlap, "busy", ct);

        Assert.Equal([Now.AddDays(-1), Now.AddDays(-3), Now.AddDays(-6)], (await _history.QueryAsync("a", 3, ct)).Select(r => r.Slot));
        Assert.Equal(6, (await _history.QueryAsync(null, 100, ct)).Count);

        var prune = new PruneScheduleRunsJob(_history, Options.Create(new SchedulingOptions { HistoryRetentionDays = 7 }), NullLogger<PruneScheduleRunsJob>.Instance);
        await prune.ExecuteAsync(new ScheduledRun("prune-schedule-runs", Now, "worker-1"), ct);

        Assert.Equal([Now.AddDays(-1), Now.AddDays(-3), Now.AddDays(-6)], (await _history.QueryAsync(null, 100, ct)).Select(r => r.Slot));
    }
}
