using System.Globalization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Diagnostics.Balancer;
using SecondServer.Web.Cluster;
using SecondServer.Web.Doctor;

namespace SecondServer.Web.Pages.Admin;

/// <summary>
/// Every replica and worker as the balancer and the instance itself see it: HAProxy's state, last check and
/// sessions per replica (runtime API), and each instance's readiness, release, version and uptime (its own endpoints);
/// per replica its request rate and response time over the last minutes, when each left and rejoined the pool
/// (from the balancer samples every replica takes), and the deploys <c>scripts/deploy</c> recorded.
/// </summary>
internal sealed class ClusterModel(IOptions<ClusterOptions> options, ClusterObserver observer, BalancerSamples samples, DeployHistory deploys, TimeProvider time) : PageModel
{
    /// <summary>The sparklines' reach.</summary>
    public static readonly TimeSpan ChartWindow = TimeSpan.FromMinutes(10);

    /// <summary>How many deploys the page lists.</summary>
    public const int DeploysShown = 10;

    public bool Configured => options.Value.IsConfigured;

    /// <summary>The balancer samples of the last <see cref="ChartWindow"/>, oldest first.</summary>
    public IReadOnlyList<BalancerSample> RecentSamples { get; private set; } = [];

    /// <summary>When replicas left and rejoined the pool, newest first, as far back as samples are kept.</summary>
    public IReadOnlyList<PoolChange> PoolChanges { get; private set; } = [];

    public IReadOnlyList<DeployRecord> Deploys { get; private set; } = [];

    /// <summary>Why the histories could not be read (Redis down), or null.</summary>
    public string? HistoryError { get; private set; }

    public IReadOnlyList<NodeRow> Nodes { get; private set; } = [];

    public string? BalancerError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!Configured)
        {
            return;
        }

        var now = time.GetUtcNow();
        var observe = observer.ObserveNodesAsync(options.Value.ToSettings(), ct);
        try
        {
            var history = await samples.ReadAsync(now - BalancerSamples.Retention, ct);
            RecentSamples = [.. history.Where(s => s.At >= now - ChartWindow)];
            PoolChanges = [.. BalancerHistory.Changes(history).OrderByDescending(c => c.At)];
            Deploys = await deploys.ListAsync(DeploysShown, ct);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            HistoryError = ex.Message;
        }

        var (instances, servers, balancerError) = await observe;
        BalancerError = balancerError;
        var rows = instances.Select(i => Row(i, servers?.FirstOrDefault(s => s.Name == i.Name), now)).ToList();
        // A server in the balancer that the description does not name still takes traffic: show it.
        rows.AddRange((servers ?? []).Where(s => instances.All(i => i.Name != s.Name))
            .Select(s => new NodeRow(s.Name, "web", s, false, "not in Cluster:Web, so not asked", null, null, null)));
        Nodes = rows;
    }

    private static NodeRow Row(InstanceObservation instance, BackendServer? server, DateTimeOffset now)
    {
        var release = instance.Fingerprint?.Release;
        return new NodeRow(
            instance.Name,
            instance.Address.Role == InstanceRole.Web ? "web" : "worker",
            server,
            instance.Ready,
            instance.Ready ? "ready" : instance.Readiness,
            release?.Name,
            release?.Version,
            release is null ? null : Duration(now - release.StartedAt));
    }

    /// <summary>"1.0.0+8a8bb63" for "1.0.0+8a8bb6325af9…": a commit is known by its first seven characters.</summary>
    internal static string? ShortVersion(string? version) =>
        version?.IndexOf('+', StringComparison.Ordinal) is { } plus and >= 0 && version.Length > plus + 8 ? version[..(plus + 8)] : version;

    /// <summary>"45 s", "12 min", "3 h 5 min", "2 d 4 h": as precise as a glance needs.</summary>
    internal static string Duration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 0 } => "0 s",
        { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalSeconds} s"),
        { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min"),
        { TotalDays: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays} d {span.Hours} h"),
    };
}

/// <summary>One line of the cluster page; <see cref="Balancer"/> is null for workers, which are not behind it.</summary>
internal sealed record NodeRow(string Name, string Role, BackendServer? Balancer, bool Ready, string Readiness, string? Release, string? Version, string? Uptime);
