namespace SecondServer.Web.Doctor;

/// <summary>Rule 5: every process runs the scheduler, so its once-per-slot mutex must live in one store they all share.</summary>
internal sealed class ScheduleOnceRule : IDoctorRule
{
    private static readonly Facet[] All =
    [
        new("scheduler mutex store", f => f.SchedulerMutexStore, "keep the scheduler's OnOneServer mutex in Redis on every instance"),
        .. Facets.Redis,
    ];

    public int Number => 5;

    public string Title => "scheduled jobs run once";

    public RuleResult Check(ClusterObservation cluster) =>
        Agreement.Check(cluster.Instances, All, f => $"one scheduler mutex store: {f.SchedulerMutexStore} ({Facets.DescribeRedis(f)})");
}
