using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>How this process takes part in running the schedules (section <c>Scheduling</c>).</summary>
internal sealed class SchedulingOptions
{
    public const string Section = "Scheduling";

    /// <summary>False keeps this process out of the schedule (the others still run every slot).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How late, by its own clock, a scheduler may still claim a slot (a GC pause, a busy machine, a clock stepped
    /// forward). Older slots are left: by then another server has run them, or they are logged as missed.
    /// </summary>
    public TimeSpan GraceWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest difference between two servers' clocks the slot claims must survive.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a <c>WithoutOverlapping</c> lease outlives a holder that stopped renewing it (crashed, frozen).</summary>
    public TimeSpan OverlapLeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job's lease is renewed; at most half the TTL, so one lost renewal costs nothing.</summary>
    public TimeSpan OverlapRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Runs older than this are deleted by the history pruning schedule.</summary>
    public int HistoryRetentionDays { get; set; } = 7;

    /// <summary>
    /// How long a slot claim stays in Redis. Every server tries slot T once, when its own clock reaches T and at most
    /// <see cref="GraceWindow"/> later. In real time those tries span at most the grace window plus the skew between
    /// the earliest and the latest clock; twice the skew leaves room for the claim's own round trip. Past that no
    /// server tries T again, and the key (which names T's date and time) is never reused, so there is no upper bound
    /// to respect as there is with Laravel's hour-and-minute key.
    /// </summary>
    public TimeSpan SlotClaimTtl => GraceWindow + (2 * MaxClockSkew);
}

internal sealed class SchedulingOptionsValidator : IValidateOptions<SchedulingOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulingOptions options)
    {
        const string S = SchedulingOptions.Section;
        var failures = new List<string>();
        if (options.GraceWindow < TimeSpan.FromSeconds(1) || options.GraceWindow > TimeSpan.FromHours(1))
        {
            failures.Add($"{S}:GraceWindow must be between 00:00:01 and 01:00:00.");
        }

        if (options.MaxClockSkew < TimeSpan.Zero || options.MaxClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{S}:MaxClockSkew must be between 00:00:00 and 00:05:00; keep clocks in sync with NTP.");
        }

        if (options.OverlapLeaseTtl < TimeSpan.FromSeconds(1) || options.OverlapLeaseTtl > TimeSpan.FromHours(1))
        {
            failures.Add($"{S}:OverlapLeaseTtl must be between 00:00:01 and 01:00:00.");
        }

        if (options.OverlapRenewInterval < TimeSpan.FromMilliseconds(100) || options.OverlapRenewInterval > options.OverlapLeaseTtl / 2)
        {
            failures.Add($"{S}:OverlapRenewInterval must be at least 00:00:00.1 and at most half of {S}:OverlapLeaseTtl ({options.OverlapLeaseTtl}).");
        }

        if (options.HistoryRetentionDays < 1)
        {
            failures.Add($"{S}:HistoryRetentionDays must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Turns a mistake in the code-written schedule list into a startup failure naming the schedule.</summary>
internal sealed class ScheduleValidator : IValidateOptions<Schedule>
{
    public ValidateOptionsResult Validate(string? name, Schedule options)
    {
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>The checked schedules of this process, the same list on every server.</summary>
internal sealed class ScheduleCatalog(IOptions<Schedule> schedule)
{
    public IReadOnlyList<ScheduleDefinition> Schedules { get; } = schedule.Value.Definitions();
}
