namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// One slot of one schedule as the cluster handled it: the runs that executed it (one under OnOneServer, one per
/// server otherwise) and the servers that did not, whatever their reason.
/// </summary>
internal sealed record ScheduleSlot(string Job, DateTimeOffset Slot, IReadOnlyList<ScheduleRunRecord> Executions, IReadOnlyList<ScheduleRunRecord> Skips)
{
    /// <summary>The instances that ran it, or null when none did.</summary>
    public string? RanOn => Executions.Count == 0 ? null : string.Join(", ", Executions.Select(r => r.Instance));

    /// <summary>How the slot ended: its execution's status (the worst of several), else why nobody ran it.</summary>
    public string Status => Executions.Count > 0
        ? Executions.Select(r => r.Status).MaxBy(Severity)!
        : Skips.Select(r => r.Status).FirstOrDefault(s => s != ScheduleRunStatus.SkippedOtherServer) ?? ScheduleRunStatus.SkippedOtherServer;

    /// <summary>How many servers left the slot to the one that claimed it (OnOneServer working as meant).</summary>
    public int StoodDown => Skips.Count(r => r.Status == ScheduleRunStatus.SkippedOtherServer);

    /// <summary>The longest execution's duration, null while one still runs or when none ran.</summary>
    public TimeSpan? Duration => Executions.Count > 0 && Executions.All(r => r.FinishedAt is not null)
        ? Executions.Max(r => r.FinishedAt!.Value - r.StartedAt)
        : null;

    /// <summary>Who clicked "run now" for this slot; null for the schedule's own slots.</summary>
    public string? RequestedBy => Executions.Concat(Skips).Select(r => r.RequestedBy).FirstOrDefault(r => r is not null);

    /// <summary>The error of a failed execution, or the reason nobody ran it.</summary>
    public string? Error => Executions.Count > 0
        ? Executions.Select(r => r.Error).FirstOrDefault(e => e is not null)
        : Skips.FirstOrDefault(r => r.Status == Status)?.Error;

    /// <summary>Every server's rows, grouped by (job, slot), newest slot first.</summary>
    public static IReadOnlyList<ScheduleSlot> Group(IEnumerable<ScheduleRunRecord> runs) =>
    [
        .. runs.GroupBy(r => (r.Job, r.Slot))
            .OrderByDescending(g => g.Key.Slot).ThenBy(g => g.Key.Job, StringComparer.Ordinal)
            .Select(g => new ScheduleSlot(
                g.Key.Job,
                g.Key.Slot,
                [.. g.Where(r => !IsSkip(r.Status)).OrderBy(r => r.StartedAt)],
                [.. g.Where(r => IsSkip(r.Status)).OrderBy(r => r.StartedAt)])),
    ];

    private static bool IsSkip(string status) => status.StartsWith("skipped-", StringComparison.Ordinal);

    private static int Severity(string status) => status switch
    {
        ScheduleRunStatus.Failed => 3,
        ScheduleRunStatus.Cancelled => 2,
        ScheduleRunStatus.Running => 1,
        _ => 0,
    };
}
