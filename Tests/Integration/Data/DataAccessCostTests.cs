using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Data;

/// <summary>
/// What the scheduler's history costs on Dapper against the same work on EF Core, measured on the real server: the
/// figure behind keeping the queue's and scheduler's tables on Dapper (see <see cref="ScheduleHistory"/>). It checks
/// that both did the same work and writes the times to the test's output; it asserts no ratio, which a busy machine
/// would make flaky.
/// </summary>
public sealed class DataAccessCostTests : IAsyncLifetime
{
    private const int Rounds = 5;
    private const int RunsPerRound = 40;

    private TestDatabase _database = null!;
    private AppSchema _schema = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _schema = new AppSchema(_database.ConnectionString);
        await _schema.MigrateAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _schema.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task The_schedulers_history_on_Dapper_and_on_EF_Core()
    {
        var ct = TestContext.Current.CancellationToken;
        var history = new ScheduleHistory(_database.Connections, TimeProvider.System);
        var slot = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var dapperWrites = new Cost();
        var efWrites = new Cost();
        var dapperReads = new Cost();
        var efReads = new Cost();

        // Warmed up first (EF Core compiles its model and each query once per process), then interleaved so that load
        // elsewhere on the machine falls on both alike.
        await DapperRunAsync(slot.AddYears(-1));
        await EfRunAsync(slot.AddYears(-1));
        await DapperReadAsync();
        await EfReadAsync();
        for (var round = 0; round < Rounds; round++)
        {
            for (var i = 0; i < RunsPerRound; i++)
            {
                var at = slot.AddSeconds((round * RunsPerRound) + i);
                await dapperWrites.MeasureAsync(() => DapperRunAsync(at));
                await efWrites.MeasureAsync(() => EfRunAsync(at));
                await dapperReads.MeasureAsync(DapperReadAsync);
                await efReads.MeasureAsync(EfReadAsync);
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"start + finish of a run: Dapper {dapperWrites}, EF Core {efWrites} " +
            $"(EF/Dapper: time {efWrites.Time / dapperWrites.Time:0.00}, allocations {(double)efWrites.Bytes / dapperWrites.Bytes:0.00}); " +
            $"newest 50 runs: Dapper {dapperReads}, EF Core {efReads} (EF/Dapper: time {efReads.Time / dapperReads.Time:0.00}, allocations {(double)efReads.Bytes / dapperReads.Bytes:0.00})");
        var runs = Rounds * RunsPerRound;
        Assert.Equal(runs + 1, (await history.QueryAsync("dapper", 1000, ct)).Count(r => r.Status == ScheduleRunStatus.Ok));
        Assert.Equal(runs + 1, (await history.QueryAsync("ef", 1000, ct)).Count(r => r.Status == ScheduleRunStatus.Ok));

        async Task DapperRunAsync(DateTimeOffset at)
        {
            var id = await history.StartAsync(new ScheduledRun("dapper", at, "bench"), onceAcrossServers: true, ct);
            await history.FinishAsync(id!.Value, ScheduleRunStatus.Ok, null, ct);
        }

        // The same two statements through EF Core: an insert through the change tracker, then a set-based update.
        async Task EfRunAsync(DateTimeOffset at)
        {
            await using var db = await _schema.Contexts.CreateDbContextAsync(ct);
            var row = new ScheduleRunRow { Job = "ef", Slot = at.UtcDateTime, Instance = "bench", StartedAt = DateTime.UtcNow, Status = ScheduleRunStatus.Running, ClaimedSlot = at.UtcDateTime };
            db.Add(row);
            await db.SaveChangesAsync(ct);
            var now = DateTime.UtcNow;
            await db.Set<ScheduleRunRow>().Where(r => r.Id == row.Id).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.FinishedAt, now).SetProperty(r => r.Status, ScheduleRunStatus.Ok).SetProperty(r => r.Error, (string?)null), ct);
        }

        Task DapperReadAsync() => history.QueryAsync("dapper", 50, ct);

        async Task EfReadAsync()
        {
            await using var db = await _schema.Contexts.CreateDbContextAsync(ct);
            await db.Set<ScheduleRunRow>().AsNoTracking().Where(r => r.Job == "ef").OrderByDescending(r => r.Slot).ThenByDescending(r => r.Id).Take(50)
                .Select(r => new { r.Job, r.Slot, r.Instance, r.StartedAt, r.FinishedAt, r.Status, r.Error }).ToListAsync(ct);
        }
    }

    /// <summary>Wall time and bytes allocated (by the whole process: run this test alone for a clean figure).</summary>
    private sealed class Cost
    {
        private readonly Stopwatch _watch = new();
        private int _count;

        public TimeSpan Time => _watch.Elapsed;

        public long Bytes { get; private set; }

        public async Task MeasureAsync(Func<Task> operation)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            _watch.Start();
            await operation();
            _watch.Stop();
            Bytes += GC.GetTotalAllocatedBytes(precise: true) - before;
            _count++;
        }

        public override string ToString() => $"{_watch.Elapsed.TotalMilliseconds / _count:0.00} ms and {Bytes / _count / 1024.0:0.0} KiB per call";
    }
}
