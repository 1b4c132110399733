using System.Collections.Concurrent;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Tests.Integration.Scheduling;

/// <summary>
/// What the test job did, across every host of a test (one instance registered in each), independent of the
/// history the scheduler writes: the check that a slot really ran once, not just that it was recorded once.
/// </summary>
internal sealed class JobProbe
{
    private readonly ConcurrentQueue<ScheduledRun> _executions = new();
    private int _count;

    /// <summary>What execution number N (from 1) does; by default it succeeds at once.</summary>
    public Func<int, CancellationToken, Task> Behavior { get; init; } = (_, _) => Task.CompletedTask;

    public IReadOnlyCollection<ScheduledRun> Executions => _executions;

    public Task RunAsync(ScheduledRun run, CancellationToken cancellationToken)
    {
        _executions.Enqueue(run);
        return Behavior(Interlocked.Increment(ref _count), cancellationToken);
    }
}

/// <summary>The scheduled job of these tests: it reports to the probe.</summary>
internal sealed class ProbeJob(JobProbe probe) : IScheduledJob
{
    public Task ExecuteAsync(ScheduledRun run, CancellationToken cancellationToken) => probe.RunAsync(run, cancellationToken);
}
