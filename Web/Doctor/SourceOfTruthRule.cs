using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Web.Doctor;

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
