using System.Net;

namespace SecondServer.Web.Doctor;

/// <summary>
/// Rule 7: of the cluster's ports only the balancer's listen beyond loopback, and Redis and MySQL turn away clients
/// without credentials, so a server that is reachable by mistake still gives nothing away.
/// </summary>
internal sealed class NetworkSecurityRule : IDoctorRule
{
    public int Number => 7;

    public string Title => "network security";

    public RuleResult Check(ClusterObservation cluster)
    {
        var problems = new List<(string Problem, string Fix)>();
        if (cluster.Listeners is null)
        {
            problems.Add(($"cannot list listeners ({cluster.ListenersError})", "install iproute2 (ss)"));
        }
        else
        {
            var exposed = cluster.Listeners
                .Where(l => cluster.PrivatePorts.Contains(l.Port) && !IsLoopback(l.Address))
                .Select(l => $"{l.Address}:{l.Port}").Distinct(StringComparer.Ordinal).ToList();
            if (exposed.Count > 0)
            {
                problems.Add(($"private ports listen publicly: {string.Join(", ", exposed)}", "bind them to 127.0.0.1 (or the private network) and firewall them"));
            }
        }

        var accepted = cluster.AnonymousAttempts.Where(a => !a.Refused).ToList();
        problems.AddRange(accepted.Select(a => ($"{a.What}: {a.Evidence}", a.What.StartsWith("Redis", StringComparison.Ordinal)
            ? "run Redis with requirepass (or ACLs) and protected-mode yes"
            : "drop anonymous accounts and give root a password or socket-only authentication")));
        if (problems.Count > 0)
        {
            return RuleResult.Fail(string.Join("; ", problems.Select(p => p.Problem)), string.Join("; ", problems.Select(p => p.Fix).Distinct(StringComparer.Ordinal)));
        }

        var listening = cluster.Listeners!.Where(l => cluster.PublicPorts.Contains(l.Port) && !IsLoopback(l.Address)).Select(l => l.Port).Distinct().Order();
        return RuleResult.Pass($"beyond loopback only the balancer ({string.Join(", ", listening)}); {string.Join(", ", cluster.AnonymousAttempts.Select(a => $"{a.What} refused"))}");
    }

    internal static bool IsLoopback(string address)
    {
        var bare = address.Trim('[', ']').Split('%')[0];
        return IPAddress.TryParse(bare, out var ip) && IPAddress.IsLoopback(ip);
    }
}
