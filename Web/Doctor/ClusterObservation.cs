using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Infrastructure.Diagnostics.Balancer;
using SecondServer.Infrastructure.Diagnostics.Probes;

namespace SecondServer.Web.Doctor;

/// <summary>What the doctor saw of one instance: its fingerprint (or why there is none) and its readiness.</summary>
internal sealed record InstanceObservation(InstanceAddress Address, InstanceFingerprint? Fingerprint, string? Error, bool Ready, string Readiness)
{
    public string Name => Address.Name;
}

/// <summary>Everything the doctor observed, gathered at once; the rules only read it, so they are plain functions of it.</summary>
internal sealed record ClusterObservation(
    IReadOnlyList<InstanceObservation> Instances,
    string Backend,
    string? HaproxyConfig,
    IReadOnlyList<BackendServer>? BackendServers,
    string? BalancerError,
    IReadOnlyList<int> PublicPorts,
    IReadOnlyList<int> PrivatePorts,
    IReadOnlyList<Listener>? Listeners,
    string? ListenersError,
    IReadOnlyList<AnonymousAttempt> AnonymousAttempts)
{
    public IEnumerable<InstanceObservation> Web => Instances.Where(i => i.Address.Role == InstanceRole.Web);

    public IEnumerable<InstanceObservation> Workers => Instances.Where(i => i.Address.Role == InstanceRole.Worker);
}

/// <summary>One rule's verdict: the evidence either way, and on failure what to change.</summary>
internal sealed record RuleResult(bool Passed, string Evidence, string? Fix = null)
{
    public static RuleResult Pass(string evidence) => new(true, evidence);

    public static RuleResult Fail(string evidence, string fix) => new(false, evidence, fix);
}

/// <summary>One of the seven rules of adding a second server, checked against an observation of the running cluster.</summary>
internal interface IDoctorRule
{
    int Number { get; }

    string Title { get; }

    RuleResult Check(ClusterObservation cluster);
}
