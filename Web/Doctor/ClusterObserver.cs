using System.Net.Sockets;
using SecondServer.Infrastructure.Diagnostics.Balancer;
using SecondServer.Infrastructure.Diagnostics.Probes;

namespace SecondServer.Web.Doctor;

/// <summary>
/// Looks at the running cluster: every probe at once, all under one bound, none throwing, so the whole look takes
/// about as long as <see cref="Timeout"/> at worst and a dead server becomes evidence rather than an error.
/// </summary>
internal sealed class ClusterObserver(IInstanceProbe instances, IHaproxyRuntimeApi balancer, IListenerScan listeners, IAnonymousAccessProbe anonymous)
{
    /// <summary>The bound of a look; its probes all run at once.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1.2);

    /// <summary>Everything the seven rules read.</summary>
    public async Task<ClusterObservation> ObserveAsync(DoctorSettings settings, CancellationToken cancellationToken)
    {
        using var bounded = Bounded(cancellationToken);
        var nodes = NodesAsync(settings, bounded.Token);
        // A local file: read whatever the probes' bound, as only the caller may give up on it.
        var config = ReadConfigAsync(settings.HaproxyConfig, cancellationToken);
        var listening = listeners.ScanAsync(bounded.Token);
        var attempts = Task.WhenAll(
            anonymous.RedisAsync(settings.RedisHost, settings.RedisPort, bounded.Token),
            anonymous.MySqlAsync("anonymous MySQL user", settings.MySqlHost, settings.MySqlPort, "", bounded.Token),
            anonymous.MySqlAsync("MySQL root without password", settings.MySqlHost, settings.MySqlPort, "root", bounded.Token));
        await Task.WhenAll(nodes, config, listening, attempts);
        var (observed, servers, statError) = await nodes;
        var (configText, configError) = await config;
        var (found, listenersError) = await listening;
        return new ClusterObservation(observed, settings.Backend, configText, servers, configError ?? statError,
            settings.PublicPorts, settings.PrivatePorts, found, listenersError, await attempts);
    }

    /// <summary>
    /// Only the instances (fingerprint, readiness) and the balancer's view of each replica: what the cluster page
    /// shows every few seconds, without the doctor's login attempts and listener scan.
    /// </summary>
    public async Task<(IReadOnlyList<InstanceObservation> Instances, IReadOnlyList<BackendServer>? Servers, string? BalancerError)> ObserveNodesAsync(
        DoctorSettings settings, CancellationToken cancellationToken)
    {
        using var bounded = Bounded(cancellationToken);
        return await NodesAsync(settings, bounded.Token);
    }

    /// <summary>The balancer's view of each replica (<c>show stat</c>), or why it could not be read.</summary>
    public async Task<(IReadOnlyList<BackendServer>? Servers, string? Error)> BackendServersAsync(DoctorSettings settings, CancellationToken cancellationToken)
    {
        using var bounded = Bounded(cancellationToken);
        return await ServersAsync(settings, bounded.Token);
    }

    private async Task<(IReadOnlyList<InstanceObservation>, IReadOnlyList<BackendServer>?, string?)> NodesAsync(DoctorSettings settings, CancellationToken cancellationToken)
    {
        var observed = Task.WhenAll(settings.Instances.Select(i => InstanceAsync(i, cancellationToken)));
        var stat = ServersAsync(settings, cancellationToken);
        await Task.WhenAll(observed, stat);
        var (servers, error) = await stat;
        return (await observed, servers, error);
    }

    private async Task<InstanceObservation> InstanceAsync(InstanceAddress instance, CancellationToken cancellationToken)
    {
        var fingerprint = instances.FingerprintAsync(instance.Address, cancellationToken);
        var ready = instances.ReadinessAsync(new Uri(instance.Address, BalancerRule.ReadyPath), cancellationToken);
        await Task.WhenAll(fingerprint, ready);
        var (print, error) = await fingerprint;
        var (isReady, readiness) = await ready;
        return new InstanceObservation(instance, print, error, isReady, readiness);
    }

    private async Task<(IReadOnlyList<BackendServer>?, string?)> ServersAsync(DoctorSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            return (await balancer.BackendServersAsync(settings.HaproxySocket, settings.Backend, cancellationToken), null);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return (null, $"runtime socket {settings.HaproxySocket}: {ProbeFailure.Describe(ex)}");
        }
    }

    private static async Task<(string?, string?)> ReadConfigAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await File.ReadAllTextAsync(path, cancellationToken), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"config {path}: {ex.Message}");
        }
    }

    private static CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(Timeout);
        return bounded;
    }
}
