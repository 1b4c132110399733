namespace SecondServer.Web.Doctor;

/// <summary>Rule 4: at least one worker runs, is ready, and consumes the queue in the same Redis the web replicas fill.</summary>
internal sealed class QueueWorkersRule : IDoctorRule
{
    public int Number => 4;

    public string Title => "queue workers";

    public RuleResult Check(ClusterObservation cluster)
    {
        var workers = cluster.Workers.ToList();
        if (workers.Count == 0)
        {
            return RuleResult.Fail("no worker instance is configured", "run at least one worker (Worker.dll) and pass it to the doctor");
        }

        var notReady = workers.Where(w => !w.Ready).ToList();
        if (notReady.Count == workers.Count)
        {
            return RuleResult.Fail(string.Join("; ", notReady.Select(w => $"{w.Name} is not ready ({w.Readiness})")), "start the worker and fix what its /health/ready names");
        }

        var result = Agreement.Check(cluster.Instances, Facets.Redis, f => $"the queue in {Facets.DescribeRedis(f)}");
        var ready = Agreement.Names(workers.Where(w => w.Ready).Select(w => w.Name));
        return result.Passed
            ? result with { Evidence = $"{ready} ready; {result.Evidence}" }
            : result with { Evidence = $"workers and replicas do not share one queue: {result.Evidence}" };
    }
}
