using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Web.Doctor;

/// <summary>The facets several rules compare, so that each is described and fixed the same way everywhere.</summary>
internal static class Facets
{
    public static readonly Facet MySqlServer = new("MySQL server", f => f.Database.Server ?? $"unreachable ({f.Database.Error})", "give every instance the same ConnectionStrings:appdb", f => f.Database.Error);

    public static readonly Facet MySqlDatabase = new("database", f => f.Database.Database ?? "none", "give every instance the same ConnectionStrings:appdb");

    public static readonly Facet RedisServer = new("Redis server", f => f.Redis.RunId ?? $"unreachable ({f.Redis.Error})", "give every instance the same ConnectionStrings:redis", f => f.Redis.Error);

    public static readonly Facet RedisDatabase = new("Redis db", f => f.Redis.Database.ToString(System.Globalization.CultureInfo.InvariantCulture), "give every instance the same ConnectionStrings:redis");

    public static readonly Facet RedisPrefix = new("key prefix", f => f.Redis.KeyPrefix, "give every instance the same Redis:KeyPrefix");

    public static readonly Facet[] Redis = [RedisServer, RedisDatabase, RedisPrefix];

    public static string DescribeRedis(InstanceFingerprint f) => $"Redis {Short(f.Redis.RunId)} db{f.Redis.Database} prefix {f.Redis.KeyPrefix}";

    public static string DescribeMySql(InstanceFingerprint f) => $"MySQL {f.Database.Server}/{f.Database.Database}";

    /// <summary>Enough of an id to tell two apart in one line.</summary>
    public static string Short(string? id) => id is null ? "none" : id.Length <= 12 ? id : id[..12];
}

/// <summary>
/// Rule 2: every instance reads and writes the same MySQL database and Redis (server, db number, key prefix), shares
/// one Data Protection key ring under one application name, and keeps sessions in Redis, not in the cookie or memory.
/// </summary>
internal sealed class SourceOfTruthRule : IDoctorRule
{
    private static readonly Facet[] All =
    [
        Facets.MySqlServer,
        Facets.MySqlDatabase,
        .. Facets.Redis,
        new("Data Protection application name", f => f.DataProtection.ApplicationName, "give every instance the same DataProtection:ApplicationName (or leave it unset: SecondServer)"),
        new("key ring", f => f.DataProtection.Error is null ? $"[{string.Join(" ", f.DataProtection.KeyIds.Select(Facets.Short))}]" : $"unreadable ({f.DataProtection.Error})",
            "point every instance at the same Redis and Redis:KeyPrefix, where the key ring lives", f => f.DataProtection.Error),
    ];

    public int Number => 2;

    public string Title => "one source of truth";

    public RuleResult Check(ClusterObservation cluster)
    {
        var result = Agreement.Check(cluster.Instances, All, f =>
            $"{Facets.DescribeMySql(f)}, {Facets.DescribeRedis(f)}, key ring {f.DataProtection.ApplicationName} ({f.DataProtection.KeyIds.Count} keys)");
        if (!result.Passed)
        {
            return result;
        }

        var cookieSessions = cluster.Web.Where(i => i.Fingerprint!.SessionStore != nameof(RedisTicketStore)).ToList();
        return cookieSessions.Count == 0
            ? result with { Evidence = $"{result.Evidence}, sessions in {nameof(RedisTicketStore)}" }
            : RuleResult.Fail(
                string.Join("; ", cookieSessions.Select(i => $"{i.Name} keeps sessions in {i.Fingerprint!.SessionStore}")),
                "register the Redis ticket store as the cookie's SessionStore (AddSharedSessions)");
    }
}

/// <summary>Rule 3: every instance stores uploads in the same S3 endpoint and bucket, never on its own disk.</summary>
internal sealed class UploadsRule : IDoctorRule
{
    private static readonly Facet[] All =
    [
        new("S3 endpoint", f => f.Storage.Endpoint, "give every instance the same ConnectionStrings:uploads"),
        new("bucket", f => f.Storage.Bucket, "give every instance the same Storage:Bucket"),
    ];

    public int Number => 3;

    public string Title => "uploads in S3";

    public RuleResult Check(ClusterObservation cluster) =>
        Agreement.Check(cluster.Instances, All, f => $"S3 {f.Storage.Endpoint} bucket {f.Storage.Bucket}");
}

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
