namespace SecondServer.Web.Cluster;

/// <summary>A replica leaving or rejoining the pool, as HAProxy's state changed between two samples.</summary>
/// <param name="Server">The replica.</param>
/// <param name="From">Its state before (UP, DOWN, DRAIN, MAINT).</param>
/// <param name="To">Its state after.</param>
/// <param name="At">When HAProxy changed it: the sample's time less how long the new state had lasted.</param>
/// <param name="OutFor">On a return to UP, how long since the replica left it, when the samples saw it leave.</param>
internal sealed record PoolChange(string Server, string From, string To, DateTimeOffset At, TimeSpan? OutFor = null)
{
    /// <summary>True when the replica came back to taking traffic.</summary>
    public bool Rejoined => To == "UP";
}

/// <summary>What the samples say over time: per replica rates and response times, and when each left and rejoined the pool.</summary>
internal static class BalancerHistory
{
    /// <summary>
    /// Requests per second of <paramref name="server"/> between consecutive samples, one point per sample after the
    /// first; null where there is no earlier sample, the server was absent, or HAProxy restarted (its counter reset).
    /// </summary>
    public static IReadOnlyList<double?> RequestRates(IReadOnlyList<BalancerSample> samples, string server)
    {
        var points = new List<double?>();
        for (var i = 1; i < samples.Count; i++)
        {
            var before = Find(samples[i - 1], server)?.Requests;
            var after = Find(samples[i], server)?.Requests;
            var seconds = (samples[i].At - samples[i - 1].At).TotalSeconds;
            points.Add(before is { } b && after is { } a && a >= b && seconds > 0 && seconds < 3 * BalancerSamples.Interval.TotalSeconds
                ? (a - b) / seconds
                : null);
        }

        return points;
    }

    /// <summary>The average response time HAProxy reports for <paramref name="server"/> in each sample, in milliseconds.</summary>
    public static IReadOnlyList<double?> ResponseTimes(IReadOnlyList<BalancerSample> samples, string server) =>
        [.. samples.Select(s => Find(s, server)?.ResponseTimeMs is { } ms ? (double?)ms : null)];

    /// <summary>Every change of a replica's state in the pool, oldest first.</summary>
    public static IReadOnlyList<PoolChange> Changes(IReadOnlyList<BalancerSample> samples)
    {
        var changes = new List<PoolChange>();
        var left = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = 1; i < samples.Count; i++)
        {
            foreach (var now in samples[i].Servers)
            {
                if (Find(samples[i - 1], now.Name) is not { } before || State(before.Status) == State(now.Status))
                {
                    continue;
                }

                // HAProxy says how long the new state has lasted; the change happened then, not at the sample.
                var gap = samples[i].At - samples[i - 1].At;
                var lasted = now.InStateForSeconds is { } s ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;
                var at = samples[i].At - (lasted < gap ? lasted : TimeSpan.Zero);
                var (from, to) = (State(before.Status), State(now.Status));
                if (from == "UP")
                {
                    left[now.Name] = at;
                }

                changes.Add(new PoolChange(now.Name, from, to, at, to == "UP" && left.Remove(now.Name, out var since) ? at - since : null));
            }
        }

        return changes;
    }

    /// <summary>"UP", "DOWN", "DRAIN", "MAINT": the state without HAProxy's check progress ("UP 1/3", "DOWN 2/2").</summary>
    public static string State(string status) => status.Split(' ', 2)[0];

    private static ServerSample? Find(BalancerSample sample, string server) => sample.Servers.FirstOrDefault(s => s.Name == server);
}
