using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecondServer.Infrastructure.Locking;
using SecondServer.Infrastructure.Resilience;

namespace SecondServer.Infrastructure.DataProtection;

/// <summary>
/// The only writer of the shared key ring. Left to themselves, replicas that boot together onto an empty ring each
/// mint an immediately active key and then reject each other's cookies; and every replica would rotate keys on its
/// own. Here automatic key generation is off everywhere, and this service, under a Redis lock, makes sure there is
/// a key active now and, well before it expires, its successor (activated after the propagation window so every
/// replica has read it first). Readiness waits for the first check, so no replica serves before the ring is shared.
/// </summary>
internal sealed class KeyRingMaintainer(IKeyManager keys, RedisLock locks, TimeProvider time, ILogger<KeyRingMaintainer> logger) : BackgroundService
{
    private static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(90);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(14);
    private static readonly TimeSpan PropagationWindow = TimeSpan.FromDays(2);
    private static readonly TimeSpan CheckEvery = TimeSpan.FromHours(1);

    private volatile bool _ready;

    public bool IsReady => _ready;

    /// <summary>Ensures a usable key now and a successor in time; returns the key ids it created.</summary>
    public async Task<IReadOnlyList<Guid>> EnsureKeysAsync(CancellationToken cancellationToken)
    {
        await using var lease = await locks.AcquireAsync("dataprotection:writer", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), cancellationToken)
            ?? throw new TimeoutException("Another instance held the Data Protection key ring lock for 30 s.");
        var now = time.GetUtcNow();
        var usable = keys.GetAllKeys().Where(k => !k.IsRevoked && k.ExpirationDate > now).ToList();
        var created = new List<Guid>();
        if (!usable.Any(k => k.ActivationDate <= now))
        {
            created.Add(keys.CreateNewKey(now, now + KeyLifetime).KeyId);
            logger.LogInformation("Created the first shared Data Protection key {KeyId}", created[^1]);
        }
        else if (usable.Max(k => k.ExpirationDate) - now < RenewBefore)
        {
            created.Add(keys.CreateNewKey(now + PropagationWindow, now + PropagationWindow + KeyLifetime).KeyId);
            logger.LogInformation("Created the next shared Data Protection key {KeyId}, active in {Window}", created[^1], PropagationWindow);
        }

        _ready = true;
        return created;
    }

    /// <summary>
    /// Tries once before the host goes on starting (bounded, so an unreachable Redis does not hold startup), so the
    /// framework's own start-up read of the key ring, which runs after this, finds a key.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await EnsureKeysAsync(bounded.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The shared Data Protection key ring is not reachable at startup: {Error}; retrying in the background", ex.Message);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_ready)
                {
                    await Task.Delay(CheckEvery, time, stoppingToken);
                }

                await EnsureKeysAsync(stoppingToken);
                backoff.Reset();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The shared Data Protection key ring is not reachable: {Error}; retrying in {Delay}", ex.Message, backoff.Next);
                await backoff.WaitAsync(stoppingToken);
            }
        }
    }
}

internal sealed class KeyRingHealthCheck(KeyRingMaintainer maintainer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(maintainer.IsReady
            ? HealthCheckResult.Healthy("The shared Data Protection key ring is in place.")
            : HealthCheckResult.Unhealthy("The shared Data Protection key ring has not been checked yet."));
}
