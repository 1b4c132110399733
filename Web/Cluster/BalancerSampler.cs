using Microsoft.Extensions.Options;
using SecondServer.ServiceDefaults;
using SecondServer.Web.Doctor;

namespace SecondServer.Web.Cluster;

/// <summary>
/// Reads HAProxy's <c>show stat</c> every <see cref="BalancerSamples.Interval"/> on every replica that knows the
/// balancer (<c>Cluster:HaproxySocket</c>) and keeps one sample per period in Redis, for the cluster page's request
/// rates, response times and health history.
/// </summary>
/// <remarks>
/// In the replicas rather than the Worker: they already reach the runtime API for the cluster page, and with every
/// replica sampling the history keeps going while any one of them is up, the one being deployed included.
/// </remarks>
internal sealed class BalancerSampler(
    IOptions<ClusterOptions> options,
    ClusterObserver observer,
    BalancerSamples samples,
    InstanceIdentity instance,
    TimeProvider time,
    ILogger<BalancerSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsConfigured || string.IsNullOrWhiteSpace(options.Value.HaproxySocket))
        {
            return;
        }

        var settings = options.Value.ToSettings();
        using var timer = new PeriodicTimer(BalancerSamples.Interval, time);
        string? lastError = null;
        do
        {
            try
            {
                var (servers, error) = await observer.BackendServersAsync(settings, stoppingToken);
                if (servers is null)
                {
                    // Once per outage, not every five seconds: the page shows the gap.
                    if (error != lastError)
                    {
                        logger.LogWarning("The balancer could not be sampled: {Error}", error);
                    }

                    lastError = error;
                    continue;
                }

                lastError = null;
                var sample = new BalancerSample(time.GetUtcNow(), [.. servers.Select(s => new ServerSample(s.Name, s.Status, s.Requests, s.ResponseTimeMs, (long?)s.InStateFor?.TotalSeconds))]);
                await samples.TryAddAsync(sample, instance.Name, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Redis down: the sample of this period is lost, the next one is tried on time.
                logger.LogDebug("A balancer sample could not be stored: {Error}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
