using System.Text.RegularExpressions;

namespace SecondServer.Web.Doctor;

/// <summary>
/// Rule 1: the balancer spreads requests round robin over every replica, checks each on <c>/health/ready</c> (not
/// <c>/health/live</c>: a replica without its database must leave the pool), and sees every replica UP now.
/// </summary>
internal sealed partial class BalancerRule : IDoctorRule
{
    public const string ReadyPath = "/health/ready";

    public int Number => 1;

    public string Title => "load balancer";

    public RuleResult Check(ClusterObservation cluster)
    {
        if (cluster.HaproxyConfig is null || cluster.BackendServers is null)
        {
            return RuleResult.Fail($"cannot read the balancer: {cluster.BalancerError}", "start HAProxy (scripts/up) and check its config and admin socket");
        }

        var section = Section(cluster.HaproxyConfig, cluster.Backend);
        if (section is null)
        {
            return RuleResult.Fail($"the HAProxy config has no backend {cluster.Backend}", $"define backend {cluster.Backend} with the web replicas");
        }

        var problems = new List<(string Problem, string Fix)>();
        var balance = section.FirstOrDefault(l => l.StartsWith("balance ", StringComparison.Ordinal))?["balance ".Length..].Trim() ?? "roundrobin (default)";
        if (!balance.StartsWith("roundrobin", StringComparison.Ordinal))
        {
            problems.Add(($"{cluster.Backend} balances by {balance}", "balance roundrobin"));
        }

        var checkPath = CheckPath(section);
        if (checkPath != ReadyPath)
        {
            problems.Add(($"{cluster.Backend} health-checks {checkPath ?? "nothing over HTTP (no option httpchk)"}", $"option httpchk and http-check send meth GET uri {ReadyPath}"));
        }

        var servers = section.Where(l => l.StartsWith("server ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var unchecked_ = servers.Where(s => !s.Skip(3).Contains("check")).Select(s => s[1]).ToList();
        if (unchecked_.Count > 0)
        {
            problems.Add(($"{Agreement.Names(unchecked_)} {(unchecked_.Count == 1 ? "has" : "have")} no active check", "add 'check' to every server line"));
        }

        var replicas = cluster.Web.Select(i => i.Name).ToList();
        var notConfigured = replicas.Except(servers.Select(s => s[1]), StringComparer.Ordinal).ToList();
        if (notConfigured.Count > 0)
        {
            problems.Add(($"{Agreement.Names(notConfigured)} {(notConfigured.Count == 1 ? "is" : "are")} not in {cluster.Backend}", "add a server line for every replica"));
        }

        var states = replicas.Select(r => (Name: r, Status: cluster.BackendServers.FirstOrDefault(s => s.Name == r)?.Status ?? "absent")).ToList();
        var notUp = states.Where(s => s.Status != "UP").ToList();
        if (notUp.Count > 0)
        {
            problems.Add((
                $"HAProxy sees {string.Join(", ", notUp.Select(s => $"{s.Name} {s.Status}"))}",
                "fix the replica until its /health/ready answers 200 (logs under .data/logs), or set it ready if it was drained"));
        }

        var seen = string.Join(", ", states.Select(s => $"{s.Name} {s.Status}"));
        return problems.Count == 0
            ? RuleResult.Pass($"{cluster.Backend}: {balance}, checks GET {ReadyPath} on {servers.Count} servers; HAProxy sees {seen}")
            : RuleResult.Fail(string.Join("; ", problems.Select(p => p.Problem)), string.Join("; ", problems.Select(p => p.Fix).Distinct(StringComparer.Ordinal)));
    }

    /// <summary>The lines of one proxy section, comments and blank lines removed, whitespace collapsed.</summary>
    internal static IReadOnlyList<string>? Section(string config, string name)
    {
        List<string>? lines = null;
        foreach (var raw in config.Split('\n'))
        {
            var line = Whitespace().Replace(raw.Split('#', 2)[0], " ").Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var keyword = line.Split(' ', 2)[0];
            if (keyword is "global" or "defaults" or "frontend" or "backend" or "listen" or "resolvers" or "peers" or "userlist" or "program" or "cache" or "http-errors" or "ring" or "mailers")
            {
                if (lines is not null)
                {
                    return lines;
                }

                if (keyword is "backend" or "listen" && line == $"{keyword} {name}")
                {
                    lines = [];
                }

                continue;
            }

            lines?.Add(line);
        }

        return lines;
    }

    /// <summary>The URI the active check requests: from <c>http-check send ... uri X</c> or <c>option httpchk [METH] X</c>.</summary>
    internal static string? CheckPath(IReadOnlyList<string> section)
    {
        var httpchk = section.FirstOrDefault(l => l.StartsWith("option httpchk", StringComparison.Ordinal));
        if (httpchk is null)
        {
            return null;
        }

        var send = section.LastOrDefault(l => l.StartsWith("http-check send ", StringComparison.Ordinal))?.Split(' ');
        var uri = send is null ? -1 : Array.IndexOf(send, "uri");
        if (send is not null && uri >= 0 && uri + 1 < send.Length)
        {
            return send[uri + 1];
        }

        var words = httpchk.Split(' ');
        // option httpchk | option httpchk <uri> | option httpchk <method> <uri> [<version>]
        return words.Length switch
        {
            2 => "/",
            3 => words[2],
            _ => words[3],
        };
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
