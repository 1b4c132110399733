namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// Work the scheduler runs at the slots of a schedule. The scheduler creates it in a DI scope of its own for every
/// run (registered or not), so it may take scoped services in its constructor.
/// </summary>
internal interface IScheduledJob
{
    /// <summary>Runs the job for one slot; the token fires when the host stops or the overlap lease is lost.</summary>
    Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken);
}

/// <summary>Which slot of which schedule a run is for, and the instance that runs it.</summary>
/// <param name="Job">The schedule's name.</param>
/// <param name="Slot">The time the schedule named, in UTC; the same on every server whatever its clock says.</param>
/// <param name="Instance">This process's <c>App:InstanceId</c>.</param>
/// <param name="RequestedBy">Who asked for this run by hand ("run now"); null for the schedule's own slots.</param>
internal sealed record ScheduledRun(string Job, DateTimeOffset Slot, string Instance, string? RequestedBy = null);
