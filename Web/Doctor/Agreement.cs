using SecondServer.Infrastructure.Diagnostics;

namespace SecondServer.Web.Doctor;

/// <summary>One thing every instance must agree on, how to show it, and what to change when they do not.</summary>
internal sealed record Facet(string What, Func<InstanceFingerprint, string> Value, string Fix, Func<InstanceFingerprint, string?>? Error = null);

/// <summary>
/// Compares instances' fingerprints. A disagreement names the odd ones out against the majority, e.g.
/// "web-2 uses Redis db 1 while web-1, worker-1 use Redis db 0", so the reader knows which server to fix.
/// </summary>
internal static class Agreement
{
    /// <summary>Null when every instance has the same value, else the sentence that names who differs.</summary>
    public static string? Disagreement(IEnumerable<(string Name, string Value)> values, string what)
    {
        var groups = values.GroupBy(v => v.Value, v => v.Name, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Min(StringComparer.Ordinal), StringComparer.Ordinal).ToList();
        if (groups.Count <= 1)
        {
            return null;
        }

        var odd = groups.Skip(1).Select(g => $"{Uses(g)} {what} {g.Key}");
        return $"{string.Join(" and ", odd)} while {Uses(groups[0])} {what} {groups[0].Key}";
    }

    /// <summary>
    /// Checks every facet over the instances that answered; an instance that did not answer fails the check too,
    /// since a server the doctor cannot see may be the one wired elsewhere.
    /// </summary>
    public static RuleResult Check(IReadOnlyList<InstanceObservation> instances, IReadOnlyList<Facet> facets, Func<InstanceFingerprint, string> agreed)
    {
        var missing = instances.Where(i => i.Fingerprint is null).ToList();
        if (missing.Count > 0)
        {
            return RuleResult.Fail(string.Join("; ", missing.Select(Unanswered)), Unreachable);
        }

        // Instances that all failed to reach a server would otherwise "agree" on it.
        var unreadable = instances.SelectMany(i => facets.Where(f => f.Error?.Invoke(i.Fingerprint!) is not null)
                .Select(f => $"{i.Name} cannot read its {f.What} ({f.Error!(i.Fingerprint!)})"))
            .Distinct(StringComparer.Ordinal).ToList();
        if (unreadable.Count > 0)
        {
            return RuleResult.Fail(string.Join("; ", unreadable), "make the instance reach it: its /health/ready and log name the dependency");
        }

        var problems = facets
            .Select(f => (Facet: f, Sentence: Disagreement(instances.Select(i => (i.Name, f.Value(i.Fingerprint!))), f.What)))
            .Where(p => p.Sentence is not null).ToList();
        return problems.Count == 0
            ? RuleResult.Pass($"all {Count(instances.Count)} {agreed(instances[0].Fingerprint!)}")
            : RuleResult.Fail(string.Join("; ", problems.Select(p => p.Sentence)), string.Join("; ", problems.Select(p => p.Facet.Fix).Distinct(StringComparer.Ordinal)));
    }

    public const string Unreachable = "start the instance (supervisorctl status) and make sure it runs a release with /internal/diagnostics";

    public static string Unanswered(InstanceObservation instance) => $"{instance.Name} did not answer /internal/diagnostics ({instance.Error})";

    public static string Names(IEnumerable<string> names) => string.Join(", ", names);

    public static string Count(int instances) => instances == 1 ? "1 instance uses" : $"{instances} instances use";

    private static string Uses(IGrouping<string, string> group) => $"{Names(group)} {(group.Count() == 1 ? "uses" : "use")}";
}
