using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Tests.Unit.Scheduling;

public sealed class ScheduleTests
{
    public static TheoryData<string, string> Frequencies => new()
    {
        { "EverySeconds(1)", "* * * * * *" },
        { "EverySeconds(5)", "*/5 * * * * *" },
        { "EveryMinute()", "0 * * * * *" },
        { "EveryMinutes(15)", "0 */15 * * * *" },
        { "Hourly()", "0 0 * * * *" },
        { "DailyAt(02:00)", "0 0 2 * * *" },
        { "DailyAt(23:59:30)", "30 59 23 * * *" },
        { "Cron(*/10 * * * *)", "0 */10 * * * *" },
        { "Cron(15 0 3 * * 1-5)", "15 0 3 * * 1-5" },
    };

    [Theory]
    [MemberData(nameof(Frequencies))]
    public void Frequencies_become_six_field_cron_expressions(string call, string expected)
    {
        var schedule = new Schedule();
        Apply(schedule.Job<ReportJob>(), call);

        Assert.Empty(schedule.Problems());
        Assert.Equal(expected, Assert.Single(schedule.Definitions()).Expression);
    }

    [Fact]
    public void A_schedule_is_named_after_its_job_until_named_otherwise()
    {
        var schedule = new Schedule();
        schedule.Job<ReportJob>().Hourly();
        schedule.Job<ReportJob>().Hourly().Named("nightly.report");

        Assert.Equal(["report", "nightly.report"], schedule.Definitions().Select(d => d.Name));
    }

    [Fact]
    public void Guards_and_zone_are_kept_and_UTC_is_the_default()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var schedule = new Schedule();
        schedule.Job<ReportJob>().DailyAt("02:00").OnOneServer().WithoutOverlapping().InTimeZone(berlin);
        schedule.Job<ReportJob>().Named("plain").EveryMinute();

        var (guarded, plain) = (schedule.Definitions()[0], schedule.Definitions()[1]);

        Assert.True(guarded.OnOneServer);
        Assert.True(guarded.WithoutOverlapping);
        Assert.Equal(berlin, guarded.TimeZone);
        Assert.False(plain.OnOneServer || plain.WithoutOverlapping);
        Assert.Equal(TimeZoneInfo.Utc, plain.TimeZone);
    }

    [Theory]
    [InlineData("Cron(* * *)", "Cron(\"* * *\") has 3 fields")]
    [InlineData("Cron(61 * * * * *)", "Cron(\"61 * * * * *\") is not a valid cron expression")]
    [InlineData("Cron(0 0 0 31 2 *)", "never matches a date")]
    [InlineData("EverySeconds(7)", "EverySeconds(7) needs a divisor of 60")]
    [InlineData("EveryMinutes(0)", "EveryMinutes(0) needs a divisor of 60")]
    [InlineData("DailyAt(25:00)", "DailyAt(\"25:00\") needs a 24-hour time")]
    [InlineData("", "has no frequency")]
    public void Mistakes_name_the_schedule_and_the_call(string call, string expected)
    {
        var schedule = new Schedule();
        Apply(schedule.Job<ReportJob>(), call);

        var problem = Assert.Single(schedule.Problems());
        Assert.StartsWith("Schedule 'report'", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_later_valid_frequency_replaces_a_mistaken_one()
    {
        var schedule = new Schedule();
        schedule.Job<ReportJob>().EverySeconds(7).EverySeconds(10);

        Assert.Empty(schedule.Problems());
    }

    [Fact]
    public void Two_schedules_with_one_name_are_refused()
    {
        var schedule = new Schedule();
        schedule.Job<ReportJob>().Hourly();
        schedule.Job<OtherJob>().Named("report").Hourly();

        var problem = Assert.Single(schedule.Problems());
        Assert.Contains("2 schedules are named 'report' (ReportJob, OtherJob)", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("a:b")]
    [InlineData("")]
    public void Names_that_would_break_keys_are_refused(string name)
    {
        var schedule = new Schedule();
        schedule.Job<ReportJob>().Named(name).Hourly();

        Assert.Contains("the name must be 1 to 100 letters", Assert.Single(schedule.Problems()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-01-01T00:00:02.5Z", "2026-01-01T00:00:05Z")]
    [InlineData("2026-01-01T00:00:04.999Z", "2026-01-01T00:00:05Z")]
    [InlineData("2026-01-01T00:00:05Z", "2026-01-01T00:00:10Z")]
    [InlineData("2026-12-31T23:59:58Z", "2027-01-01T00:00:00Z")]
    public void Slots_come_from_the_schedule_strictly_after_the_cursor(string after, string expected)
    {
        var every5 = Definition(s => s.EverySeconds(5));

        Assert.Equal(DateTimeOffset.Parse(expected, null), every5.NextSlotAfter(DateTimeOffset.Parse(after, null)));
    }

    [Theory]
    // Winter (UTC+1) and summer (UTC+2).
    [InlineData("02:00", "2026-01-10T12:00:00Z", "2026-01-11T01:00:00Z")]
    [InlineData("02:00", "2026-07-10T12:00:00Z", "2026-07-11T00:00:00Z")]
    // 02:30 does not exist on 2026-03-29 (02:00 -> 03:00): it runs as late past the gap, at 03:30 CEST.
    [InlineData("02:30", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z")]
    // 02:30 happens twice on 2026-10-25 (03:00 -> 02:00): the first pass (CEST) only.
    [InlineData("02:30", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z")]
    [InlineData("02:30", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")]
    // Started during the repeated hour, after the first pass: the second pass is not a new slot.
    [InlineData("02:30", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00Z")]
    public void Slots_in_a_time_zone_follow_its_wall_clock(string time, string after, string expected)
    {
        var berlin = Definition(s => s.DailyAt(time).InTimeZone(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")));

        Assert.Equal(DateTimeOffset.Parse(expected, null), berlin.NextSlotAfter(DateTimeOffset.Parse(after, null)));
    }

    [Fact]
    public void Slot_keys_carry_the_UTC_date_and_time_to_the_second()
    {
        var slot = new DateTimeOffset(2026, 1, 1, 1, 0, 5, TimeSpan.FromHours(1));

        Assert.Equal("sched:heartbeat:20260101000005", ScheduleLocks.SlotKey("heartbeat", slot));
        Assert.Equal("sched-run:heartbeat", ScheduleLocks.LeaseKey("heartbeat"));
    }

    private static ScheduleDefinition Definition(Action<Schedule.ScheduledJob> frequency)
    {
        var schedule = new Schedule();
        frequency(schedule.Job<ReportJob>());
        Assert.Empty(schedule.Problems());
        return Assert.Single(schedule.Definitions());
    }

    private static void Apply(Schedule.ScheduledJob job, string call)
    {
        if (call.Length == 0)
        {
            return;
        }

        var name = call[..call.IndexOf('(', StringComparison.Ordinal)];
        var argument = call[(name.Length + 1)..^1];
        _ = name switch
        {
            "EverySeconds" => job.EverySeconds(int.Parse(argument, null)),
            "EveryMinute" => job.EveryMinute(),
            "EveryMinutes" => job.EveryMinutes(int.Parse(argument, null)),
            "Hourly" => job.Hourly(),
            "DailyAt" => job.DailyAt(argument),
            "Cron" => job.Cron(argument),
            _ => throw new ArgumentException($"Unknown call {call}", nameof(call)),
        };
    }

    private sealed class ReportJob : IScheduledJob
    {
        public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class OtherJob : IScheduledJob
    {
        public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
