using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Redis;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;
using SecondServer.Web;

namespace SecondServer.Tests.Integration.Scheduling;

/// <summary>
/// Real schedulers in real Web and Worker hosts, over real Redis and MariaDB, each driven by a manual clock of its
/// own: the test decides when each server believes a slot has come.
/// </summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private const string Job = "probe";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 2, 500, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<TestHost> _hosts = [];
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(-2, 0, 2)]
    public async Task Three_schedulers_run_each_of_20_slots_exactly_once(int web1Skew, int web2Skew, int workerSkew)
    {
        var ct = TestContext.Current.CancellationToken;
        var skews = new Dictionary<string, TimeSpan>
        {
            ["web-1"] = TimeSpan.FromSeconds(web1Skew),
            ["web-2"] = TimeSpan.FromSeconds(web2Skew),
            ["worker-1"] = TimeSpan.FromSeconds(workerSkew),
        };
        var clocks = skews.ToDictionary(s => s.Key, s => new ManualTimeProvider(Start + s.Value));
        var probe = new JobProbe();
        foreach (var (instance, clock) in clocks)
        {
            await StartAsync(instance, clock, probe, j => j.EverySeconds(5).OnOneServer());
        }

        for (var n = 1; n <= 20; n++)
        {
            // Clocks that run ahead reach the slot first (in real time); each group's tries are awaited before the
            // clocks move on, so the late servers really come to a slot the early one has already claimed.
            foreach (var skew in skews.Values.Distinct().OrderDescending())
            {
                var realNow = Slot(n) - skew;
                foreach (var (instance, clock) in clocks)
                {
                    clock.SetUtcNow(realNow + skews[instance]);
                }

                await WaitForRunsAsync(Slot(n), Finished(skews.Values.Count(s => s >= skew)), $"the tries at slot {n} of clocks {skew} ahead or more");
            }
        }

        var runs = await RunsAsync();
        Assert.Equal(Enumerable.Range(1, 20).Select(Slot), probe.Executions.Select(e => e.Slot).Order());
        Assert.All(runs.GroupBy(r => r.Slot), slot =>
        {
            Assert.Single(slot, r => r.Status == ScheduleRunStatus.Ok);
            Assert.Equal(2, slot.Count(r => r.Status == ScheduleRunStatus.SkippedOtherServer));
        });
        Assert.All(clocks.Keys, instance => Assert.Equal(20, runs.Count(r => r.Instance == instance)));
        if (skews.Values.Distinct().Count() > 1)
        {
            var earliest = skews.MaxBy(s => s.Value).Key;
            Assert.All(runs.Where(r => r.Status == ScheduleRunStatus.Ok), r => Assert.Equal(earliest, r.Instance));
        }

        // The claim outlives every server's try: the grace window plus twice the tolerated skew, in real time.
        var database = _hosts[0].Services.GetRequiredService<RedisConnection>().Database;
        var claimTtl = await database.KeyTimeToLiveAsync(ScheduleLocks.SlotKey(Job, Slot(20)));
        var options = _hosts[0].Services.GetRequiredService<IOptions<SchedulingOptions>>().Value;
        Assert.InRange(claimTtl!.Value, options.GraceWindow + options.MaxClockSkew, options.SlotClaimTtl);
    }

    [Fact]
    public async Task Three_servers_rows_for_a_slot_read_as_one_line_with_who_ran_it_and_two_that_stood_down()
    {
        var clocks = new[] { "web-1", "web-2", "worker-1" }.ToDictionary(i => i, _ => new ManualTimeProvider(Start));
        var probe = new JobProbe { Behavior = (n, _) => n == 2 ? throw new InvalidOperationException("the mail server refused") : Task.CompletedTask };
        foreach (var (instance, clock) in clocks)
        {
            await StartAsync(instance, clock, probe, j => j.EverySeconds(5).OnOneServer());
        }

        for (var n = 1; n <= 3; n++)
        {
            Advance(clocks.Values, Slot(n));
            await WaitForRunsAsync(Slot(n), Finished(3), $"the three tries at slot {n}");
        }

        var history = _hosts[0].Services.GetRequiredService<ScheduleHistory>();
        var slots = (await history.QuerySlotsAsync(10, TestContext.Current.CancellationToken)).Where(s => s.Job == Job).ToList();
        var runs = await RunsAsync();

        Assert.Equal(9, runs.Count);
        Assert.Equal([Slot(3), Slot(2), Slot(1)], slots.Select(s => s.Slot));
        Assert.All(slots, slot =>
        {
            Assert.Equal(2, slot.StoodDown);
            var ran = Assert.Single(runs, r => r.Slot == slot.Slot && !r.Status.StartsWith("skipped-", StringComparison.Ordinal));
            Assert.Equal(ran.Instance, slot.RanOn);
            Assert.Equal(ran.Status, slot.Status);
            Assert.Equal(ran.FinishedAt - ran.StartedAt, slot.Duration);
            Assert.Null(slot.RequestedBy);
        });
        Assert.Equal([ScheduleRunStatus.Ok, ScheduleRunStatus.Failed, ScheduleRunStatus.Ok], slots.Select(s => s.Status));
        Assert.Equal("System.InvalidOperationException: the mail server refused", slots[1].Error);
        var failure = Assert.Single(await history.LastFailuresAsync([Job, "never-failed"], TestContext.Current.CancellationToken), f => f.Job == Job);
        Assert.Equal((Slot(2), slots[1].RanOn), (failure.Slot, failure.Instance));
    }

    [Fact]
    public async Task A_failing_job_is_recorded_as_failed_and_the_next_slot_still_runs()
    {
        var clock = new ManualTimeProvider(Start);
        var probe = new JobProbe { Behavior = (n, _) => n == 1 ? throw new InvalidOperationException("the report generator broke") : Task.CompletedTask };
        await StartAsync("web-1", clock, probe, j => j.EverySeconds(5).OnOneServer().WithoutOverlapping());

        clock.SetUtcNow(Slot(1));
        var failed = Assert.Single(await WaitForRunsAsync(Slot(1), Finished(1), "the failed run"));
        clock.SetUtcNow(Slot(2));
        var next = Assert.Single(await WaitForRunsAsync(Slot(2), Finished(1), "the next run"));

        Assert.Equal(ScheduleRunStatus.Failed, failed.Status);
        Assert.Equal("System.InvalidOperationException: the report generator broke", failed.Error);
        Assert.Equal(Slot(1), failed.FinishedAt);
        Assert.Equal("web-1", failed.Instance);
        Assert.Equal(ScheduleRunStatus.Ok, next.Status);
        Assert.Null(next.Error);
        Assert.Equal(2, probe.Executions.Count);
    }

    [Fact]
    public async Task While_Redis_is_down_due_slots_are_skipped_and_recorded_never_run_unguarded()
    {
        var ct = TestContext.Current.CancellationToken;
        var password = TestEnvironment.NewName("pw");
        await using var redis = await ServerContainer.StartRedisAsync(password);
        var clock = new ManualTimeProvider(Start);
        var probe = new JobProbe();
        var host = await StartAsync(
            "web-1",
            clock,
            probe,
            j => j.EverySeconds(5).OnOneServer().WithoutOverlapping(),
            s => s["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port},password={password}");

        clock.SetUtcNow(Slot(1));
        Assert.Equal(ScheduleRunStatus.Ok, Assert.Single(await WaitForRunsAsync(Slot(1), Finished(1), "the run with Redis up")).Status);

        await redis.StopAsync();
        clock.SetUtcNow(Slot(2));
        var skipped = Assert.Single(await WaitForRunsAsync(Slot(2), Finished(1), "the slot due while Redis is down"));
        Assert.Equal(ScheduleRunStatus.SkippedUnavailable, skipped.Status);
        Assert.StartsWith("Redis could not be asked, so the slot was not run unguarded:", skipped.Error, StringComparison.Ordinal);
        Assert.Single(probe.Executions);

        await redis.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await Eventually.WaitAsync(async () => (await health.CheckHealthAsync(r => r.Name == "redis", ct)).Status, s => s == HealthStatus.Healthy, Patience, "Redis reconnected");
        clock.SetUtcNow(Slot(3));
        Assert.Equal(ScheduleRunStatus.Ok, Assert.Single(await WaitForRunsAsync(Slot(3), Finished(1), "the run once Redis is back")).Status);
        Assert.Equal([Slot(1), Slot(3)], probe.Executions.Select(e => e.Slot));
    }

    [Fact]
    public async Task A_holder_that_dies_mid_run_loses_its_lease_within_the_TTL_and_the_next_slot_runs()
    {
        var ttl = TimeSpan.FromSeconds(4);
        void Settings(Dictionary<string, string?> settings)
        {
            settings["Scheduling:OverlapLeaseTtl"] = ttl.ToString();
            settings["Scheduling:OverlapRenewInterval"] = "00:00:01";
        }

        // The first run never ends by itself; later ones end at once.
        var probe = new JobProbe { Behavior = (n, token) => n == 1 ? Task.Delay(Timeout.Infinite, token) : Task.CompletedTask };
        var clocks = new[] { "web-1", "web-2", "worker-1" }.ToDictionary(i => i, _ => new ManualTimeProvider(Start));
        foreach (var (instance, clock) in clocks)
        {
            await StartAsync(instance, clock, probe, j => j.EverySeconds(5).OnOneServer().WithoutOverlapping(), Settings);
        }

        Advance(clocks.Values, Slot(1));
        var first = await WaitForRunsAsync(Slot(1), runs => runs.Count() == 3 && runs.Count(r => r.Status == ScheduleRunStatus.Running) == 1, "one run holding the lease");
        var holder = first.Single(r => r.Status == ScheduleRunStatus.Running).Instance;

        // Alive, the holder renews: the lease's TTL runs down in real time and is back to full after a renewal.
        await Eventually.WaitAsync(LeaseTtlAsync, left => left < ttl - TimeSpan.FromSeconds(1), Patience, "the lease's TTL running down");
        Advance(clocks.Values, Slot(1) + TimeSpan.FromSeconds(1));
        await Eventually.WaitAsync(LeaseTtlAsync, left => left > ttl - TimeSpan.FromSeconds(1), Patience, "the holder renewing its lease");

        Advance(clocks.Values, Slot(2));
        var second = await WaitForRunsAsync(Slot(2), Finished(3), "the tries at slot 2");
        Assert.Single(second, r => r.Status == ScheduleRunStatus.SkippedOverlap);

        // The holder dies: its clock stops, so it neither renews nor releases its lease, as after SIGKILL or with a
        // frozen VM. The lease must go by itself within its TTL, not Laravel's 24 hours.
        var alive = clocks.Where(c => c.Key != holder).Select(c => c.Value).ToList();
        await Eventually.WaitAsync(LeaseTtlAsync, left => left is null, ttl + TimeSpan.FromSeconds(3), "the dead holder's lease expiring");
        Advance(alive, Slot(3));
        var third = await WaitForRunsAsync(Slot(3), Finished(2), "the living servers' tries at slot 3");
        Assert.NotEqual(holder, Assert.Single(third, r => r.Status == ScheduleRunStatus.Ok).Instance);
        Assert.Equal(2, probe.Executions.Count);

        // Woken, the former holder finds its lease gone and cancels its run rather than run alongside another.
        clocks[holder].SetUtcNow(Slot(3));
        var abandoned = await Eventually.WaitAsync(
            async () => (await RunsAsync()).Single(r => r.Slot == Slot(1) && r.Instance == holder),
            r => r.Status != ScheduleRunStatus.Running,
            Patience,
            "the former holder giving up its run");
        Assert.Equal(ScheduleRunStatus.Cancelled, abandoned.Status);
        Assert.Contains("lease expired and was lost", abandoned.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clock_between_two_milliseconds_still_reaches_the_slot()
    {
        var ct = TestContext.Current.CancellationToken;
        // Task.Delay counts whole milliseconds, so a first nap of 3.9997 s ends 0.3 ms before the slot, inside the
        // clock's Advance; what is left of the wait must not turn into a spin that never lets the clock move on.
        var clock = new ManualTimeProvider(Slot(1) - TimeSpan.FromSeconds(4) + TimeSpan.FromTicks(3000));
        var probe = new JobProbe();
        await StartAsync("web-1", clock, probe, j => j.EverySeconds(5).OnOneServer());
        await Eventually.WaitAsync(() => Task.FromResult(clock.NextDueAt), due => due <= Slot(1).AddMilliseconds(1), Patience, "the scheduler napping until the slot");

        await Task.Run(() => clock.SetUtcNow(Slot(1).AddSeconds(1)), ct).WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(ScheduleRunStatus.Ok, Assert.Single(await WaitForRunsAsync(Slot(1), Finished(1), "the run at the slot")).Status);
    }

    [Theory]
    [InlineData("cron", "Schedule 'probe' (ProbeJob): Cron(\"0 0 25 * * *\") is not a valid cron expression")]
    [InlineData("duplicate", "2 schedules are named 'probe' (ProbeJob, ProbeJob)")]
    public async Task A_mistaken_schedule_stops_startup_with_a_message_naming_it(string mistake, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = WebApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(_cluster.Settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddSingleton(new JobProbe());
            builder.Services.AddSchedule(s =>
            {
                if (mistake == "cron")
                {
                    s.Job<ProbeJob>().Cron("0 0 25 * * *");
                }
                else
                {
                    s.Job<ProbeJob>().Hourly();
                    s.Job<ProbeJob>().DailyAt("02:00");
                }
            });
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(ct));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static DateTimeOffset Slot(int n) => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) + (n * TimeSpan.FromSeconds(5));

    private static Func<IEnumerable<ScheduleRunRecord>, bool> Finished(int count) =>
        runs => runs.Count(r => r.Status != ScheduleRunStatus.Running) >= count;

    private static void Advance(IEnumerable<ManualTimeProvider> clocks, DateTimeOffset to)
    {
        foreach (var clock in clocks)
        {
            clock.SetUtcNow(to);
        }
    }

    private async Task<TestHost> StartAsync(string instance, ManualTimeProvider clock, JobProbe probe, Action<Schedule.ScheduledJob> schedule, Action<Dictionary<string, string?>>? settings = null)
    {
        void Configure(WebApplicationBuilder builder)
        {
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton(probe);
            builder.Services.AddSchedule(s => schedule(s.Job<ProbeJob>().Named(Job)));
        }

        var ct = TestContext.Current.CancellationToken;
        var host = instance.StartsWith("worker", StringComparison.Ordinal)
            ? await _cluster.StartWorkerAsync(instance, ct, settings, Configure, HostWait.Migrated)
            : await _cluster.StartWebAsync(instance, ct, settings, Configure, HostWait.Migrated);
        _hosts.Add(host);
        return host;
    }

    private Task<IReadOnlyList<ScheduleRunRecord>> RunsAsync() =>
        _hosts[0].Services.GetRequiredService<ScheduleHistory>().QueryAsync(Job, 1000, TestContext.Current.CancellationToken);

    private async Task<SlotRuns> WaitForRunsAsync(DateTimeOffset slot, Func<IEnumerable<ScheduleRunRecord>, bool> done, string what) =>
        await Eventually.WaitAsync(async () => new SlotRuns((await RunsAsync()).Where(r => r.Slot == slot)), done, Patience, what);

    /// <summary>One slot's rows, shown readably when a wait times out.</summary>
    private sealed class SlotRuns(IEnumerable<ScheduleRunRecord> runs) : List<ScheduleRunRecord>(runs)
    {
        public override string ToString() => $"[{string.Join(", ", this.Select(r => $"{r.Instance}: {r.Status} {r.Error}"))}]";
    }

    private async Task<TimeSpan?> LeaseTtlAsync()
    {
        var database = _hosts[0].Services.GetRequiredService<RedisConnection>().Database;
        return await database.KeyTimeToLiveAsync(ScheduleLocks.LeaseKey(Job));
    }
}
