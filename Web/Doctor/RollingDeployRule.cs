namespace SecondServer.Web.Doctor;

/// <summary>
/// Rule 6: after a (rolling) deploy every instance runs the same release, is ready, and sees the same latest migration;
/// a mix means a deploy stopped halfway or an instance was started by hand.
/// </summary>
internal sealed class RollingDeployRule : IDoctorRule
{
    private static readonly Facet[] All =
    [
        new("release", f => f.Release.Name, "finish the deploy (scripts/deploy, or scripts/deploy --rollback)"),
        new("version", f => f.Release.Version, "finish the deploy (scripts/deploy, or scripts/deploy --rollback)"),
        new("latest migration", f => f.Database.LatestMigration ?? "none", "run dotnet Web.dll migrate once, then restart the instances that lag", f => f.Database.Error),
    ];

    public int Number => 6;

    public string Title => "rolling deploys";

    public RuleResult Check(ClusterObservation cluster)
    {
        var result = Agreement.Check(cluster.Instances, All, f => $"release {f.Release.Name} ({f.Release.Version}) @ {f.Database.LatestMigration ?? "no migrations"}");
        var notReady = cluster.Instances.Where(i => !i.Ready).ToList();
        if (notReady.Count == 0)
        {
            return result.Passed ? result with { Evidence = $"{result.Evidence}; all ready" } : result;
        }

        var unready = string.Join("; ", notReady.Select(i => $"{i.Name} is not ready ({i.Readiness})"));
        return result.Passed
            ? RuleResult.Fail(unready, "fix what /health/ready names on that instance before the next deploy step")
            : result with { Evidence = $"{result.Evidence}; {unready}" };
    }
}
