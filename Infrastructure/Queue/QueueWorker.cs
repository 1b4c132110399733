using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.Infrastructure.Resilience;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// The consumer side of the queue in a Worker process: competing with every other worker for the same Redis lists.
/// </summary>
/// <remarks>
/// <para>One fetcher reserves jobs in batches (one round trip for up to BatchSize jobs) into a local buffer of at
/// most Concurrency + Prefetch held jobs; Concurrency consumers run them; one acker acknowledges finished jobs in
/// batches; one heartbeat renews every held reservation (running or buffered) every third of the visibility
/// timeout, and cancels a job whose reservation was lost.</para>
/// <para>Stopping (SIGTERM): no new reservations from the first moment; buffered jobs go back to the head of
/// their queue with their attempt refunded; running jobs get <c>Shutdown:Timeout</c> to finish, then are cancelled
/// and released. While Redis is unreachable, every loop backs off and resumes by itself.</para>
/// </remarks>
internal sealed class QueueWorker(
    RedisJobQueue queue,
    JobRegistry registry,
    JobRunner runner,
    MigrationState schema,
    IOptions<QueueOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<QueueWorker> logger) : IHostedService, IDisposable
{
    private const int AckBatch = 500;
    private static readonly TimeSpan MinimumIdleWait = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaximumOutageWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(2);

    /// <summary>How often the newest settled runs go to Redis: what the queue page's newest jobs may lag by.</summary>
    private static readonly TimeSpan RecentPublishInterval = TimeSpan.FromSeconds(1);

    private readonly QueueOptions _options = options.Value;
    private readonly CancellationTokenSource _stopTaking = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _stopHeartbeat = new();
    private readonly ConcurrentDictionary<string, Lease> _held = new(StringComparer.Ordinal);
    private readonly Channel<Lease> _ready = Channel.CreateUnbounded<Lease>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<Lease> _acks = Channel.CreateUnbounded<Lease>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _tokenPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + ".";
    private readonly RecentRuns _recent = new();
    private readonly CancellationTokenSource _stopPublishing = new();
    private SemaphoreSlim _slots = null!;
    private TaskCompletionSource _pushed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<Task>? _unsubscribe;
    private long _reservations;
    private Task _startup = Task.CompletedTask;
    private Task _fetcher = Task.CompletedTask;
    private Task _consumers = Task.CompletedTask;
    private Task _acker = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private Task _publisher = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _slots = new SemaphoreSlim(_options.Concurrency + _options.Prefetch);
        lifetime.ApplicationStopping.Register(BeginStop);
        _startup = StartConsumingAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        BeginStop();
        await _startup;
        if (!await WithinAsync(_consumers, _options.StopTimeout, cancellationToken))
        {
            logger.LogWarning("Jobs still running after the stop timeout of {Timeout}: cancelling them and releasing them to their queues", _options.StopTimeout);
            await _abort.CancelAsync();
            await WithinAsync(_consumers, AbortGrace, CancellationToken.None);
        }

        await _fetcher;
        if (_unsubscribe is not null)
        {
            try
            {
                await _unsubscribe();
            }
            catch (RedisException)
            {
                // Redis is gone: so is the subscription.
            }
        }

        var unstarted = new List<Lease>();
        while (_ready.Reader.TryRead(out var lease))
        {
            unstarted.Add(lease);
        }

        await ReleaseAsync(unstarted, refundAttempt: true);
        _acks.Writer.TryComplete();
        await _acker;
        await ReleaseAsync([.. _held.Values], refundAttempt: false);
        await _stopHeartbeat.CancelAsync();
        await _heartbeat;
        await _stopPublishing.CancelAsync();
        await _publisher;
        await PublishRecentAsync();
    }

    public void Dispose()
    {
        _stopTaking.Dispose();
        _abort.Dispose();
        _stopHeartbeat.Dispose();
        _stopPublishing.Dispose();
        _slots?.Dispose();
    }

    private void BeginStop()
    {
        if (!_stopTaking.IsCancellationRequested)
        {
            _stopTaking.Cancel();
        }
    }

    private async Task StartConsumingAsync()
    {
        try
        {
            await schema.WhenAppliedAsync(_stopTaking.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Stopped before the schema was ready, or migrations failed (the process is stopping for that).
            return;
        }

        logger.LogInformation("Consuming queues {Queues} with {Concurrency} consumers (prefetch {Prefetch}, visibility {Visibility})",
            string.Join(", ", registry.ConsumedQueues), _options.Concurrency, _options.Prefetch, _options.VisibilityTimeout);
        try
        {
            _unsubscribe = await queue.SubscribeToPushesAsync(() => _pushed.TrySetResult());
        }
        catch (Exception ex) when (ex is RedisException or QueueUnavailableException)
        {
            logger.LogWarning("Could not subscribe to queue pushes ({Error}); new jobs are found by polling every {PollInterval}", ex.Message, _options.PollInterval);
        }

        _heartbeat = Task.Run(HeartbeatAsync);
        _publisher = Task.Run(PublishAsync);
        _acker = Task.Run(AckAsync);
        _fetcher = Task.Run(FetchAsync);
        _consumers = Task.WhenAll(Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(ConsumeAsync)));
    }

    private async Task FetchAsync()
    {
        var stop = _stopTaking.Token;
        var idle = new Backoff(time, TimeSpan.FromTicks(Math.Min(MinimumIdleWait.Ticks, _options.PollInterval.Ticks)), _options.PollInterval);
        var outage = new Backoff(time, TimeSpan.FromMilliseconds(100), MaximumOutageWait);
        var unreachable = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _slots.WaitAsync(stop);
                var wanted = 1;
                while (wanted < _options.BatchSize && _slots.Wait(0))
                {
                    wanted++;
                }

                // Taken before reserving: a push announced while this reservation runs still cuts the idle wait short.
                var pushed = _pushed;
                IReadOnlyList<Reservation> reserved;
                try
                {
                    reserved = await ReserveAsync(wanted);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _slots.Release(wanted);
                    logger.LogWarning(ex is QueueUnavailableException ? null : ex, "Could not reserve jobs: {Error}; trying again in {Delay}", ex.Message, outage.Next);
                    unreachable = true;
                    await outage.WaitAsync(stop);
                    continue;
                }

                if (unreachable)
                {
                    logger.LogInformation("The job queue is reachable again; consuming resumes");
                    unreachable = false;
                    outage.Reset();
                }

                if (reserved.Count < wanted)
                {
                    _slots.Release(wanted - reserved.Count);
                }

                foreach (var reservation in reserved)
                {
                    var lease = new Lease(reservation);
                    _held[reservation.Member] = lease;
                    _ready.Writer.TryWrite(lease);
                }

                if (reserved.Count == 0)
                {
                    await Task.WhenAny(idle.WaitAsync(stop), pushed.Task);
                    stop.ThrowIfCancellationRequested();
                    if (pushed.Task.IsCompleted)
                    {
                        Interlocked.CompareExchange(ref _pushed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), pushed);
                        idle.Reset();
                    }
                }
                else
                {
                    idle.Reset();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: nothing more is reserved.
        }
    }

    /// <summary>Fills the batch from the queues in priority order.</summary>
    private async Task<IReadOnlyList<Reservation>> ReserveAsync(int wanted)
    {
        var reserved = new List<Reservation>();
        foreach (var name in registry.ConsumedQueues)
        {
            var token = _tokenPrefix + Interlocked.Increment(ref _reservations).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
            // Not cancellable: a reservation the server made must reach the buffer (see RedisJobQueue).
            reserved.AddRange(await queue.ReserveAsync(name, wanted - reserved.Count, _options.VisibilityTimeout, token, CancellationToken.None));
            if (reserved.Count == wanted)
            {
                break;
            }
        }

        return reserved;
    }

    private async Task ConsumeAsync()
    {
        var reader = _ready.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopTaking.Token))
            {
                while (!_stopTaking.IsCancellationRequested && reader.TryRead(out var lease))
                {
                    await ProcessAsync(lease);
                }
            }
        }
        catch (OperationCanceledException) when (_stopTaking.IsCancellationRequested)
        {
            // Stopping: what is still buffered is released by StopAsync.
        }
    }

    private async Task ProcessAsync(Lease lease)
    {
        if (lease.IsLost)
        {
            return;
        }

        JobOutcome outcome;
        try
        {
            outcome = await runner.RunAsync(lease, _abort.Token);
        }
        catch (Exception ex)
        {
            // A defect of the runner itself: leave the reservation to expire so the job is delivered again.
            logger.LogError(ex, "Running job {JobId} failed unexpectedly; it will be delivered again when its reservation expires", lease.Reservation.JobId);
            Finish(lease);
            return;
        }

        var (member, name) = (lease.Reservation.Member, lease.Reservation.Queue);
        lease.MarkSettling();
        switch (outcome.Kind)
        {
            case OutcomeKind.Succeeded:
                _acks.Writer.TryWrite(lease);
                return;
            case OutcomeKind.Failed:
                await SettleAsync(lease, "remove the failed job", async () => Listed([lease], await queue.CompleteAsync(name, [lease.Settlement], succeeded: false, CancellationToken.None), "failed"));
                return;
            case OutcomeKind.Retry:
                await SettleAsync(lease, "schedule the retry", () => queue.ReleaseAsync(name, [member], outcome.RetryAt, outcome.RefundAttempt, CancellationToken.None));
                await RecordAttemptAsync(lease);
                return;
            case OutcomeKind.Interrupted:
                await SettleAsync(lease, "release the interrupted job", () => queue.ReleaseAsync(name, [member], null, refundAttempt: false, CancellationToken.None));
                return;
            default:
                Finish(lease);
                return;
        }
    }

    private async Task SettleAsync(Lease lease, string what, Func<Task<IReadOnlyList<string>>> settle)
    {
        try
        {
            LogRefused(await settle(), what);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not {What} for job {JobId}: {Error}; it will be delivered again when its reservation expires", what, lease.Reservation.JobId, ex.Message);
        }

        Finish(lease);
    }

    /// <summary>Keeps the failed attempt for the job's history; the retry is scheduled whether or not this succeeds.</summary>
    private async Task RecordAttemptAsync(Lease lease)
    {
        try
        {
            await queue.RecordAttemptAsync(lease.Reservation.Queue, lease.Settlement, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not record the failed attempt {Attempt} of job {JobId} in its history: {Error}", lease.Reservation.Attempts, lease.Reservation.JobId, ex.Message);
        }
    }

    private async Task AckAsync()
    {
        var reader = _acks.Reader;
        var batch = new List<Lease>(AckBatch);
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < AckBatch && reader.TryRead(out var lease))
            {
                batch.Add(lease);
            }

            foreach (var group in batch.GroupBy(l => l.Reservation.Queue, StringComparer.Ordinal))
            {
                await AcknowledgeAsync(group.Key, [.. group]);
            }

            batch.Clear();
        }
    }

    /// <summary>
    /// Retries through a Redis outage for as long as the reservations can still be valid; after that another
    /// worker may already run the jobs again, which at-least-once delivery allows.
    /// </summary>
    private async Task AcknowledgeAsync(string name, Lease[] leases)
    {
        var giveUpAt = time.GetUtcNow() + _options.VisibilityTimeout;
        var retry = new Backoff(time, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1));
        while (true)
        {
            try
            {
                LogRefused(Listed(leases, await queue.CompleteAsync(name, [.. leases.Select(l => l.Settlement)], succeeded: true, CancellationToken.None), "succeeded"), "acknowledge the job");
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (time.GetUtcNow() + retry.Next > giveUpAt)
                {
                    logger.LogWarning("Could not acknowledge {Count} finished jobs: {Error}; they will be delivered again", leases.Length, ex.Message);
                    break;
                }

                await retry.WaitAsync(CancellationToken.None);
            }
        }

        Finish(leases);
    }

    /// <summary>Keeps the settled runs for the newest-jobs list, but not those whose reservation was not ours any more.</summary>
    private IReadOnlyList<string> Listed(IReadOnlyList<Lease> leases, IReadOnlyList<string> refused, string state)
    {
        foreach (var lease in leases)
        {
            if (refused.Count == 0 || !refused.Contains(lease.Reservation.Member, StringComparer.Ordinal))
            {
                _recent.Add(lease, state);
            }
        }

        return refused;
    }

    private async Task PublishAsync()
    {
        using var timer = new PeriodicTimer(RecentPublishInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopPublishing.Token))
            {
                await PublishRecentAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped last; StopAsync publishes what settled since.
        }
    }

    private async Task PublishRecentAsync()
    {
        var runs = _recent.TakeNew();
        try
        {
            await queue.PublishRecentAsync(_tokenPrefix.TrimEnd('.'), runs, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the list on the queue page misses them: the jobs and their counters are settled already.
            logger.LogWarning("Could not publish {Count} finished jobs to the newest-jobs list: {Error}", runs.Count, ex.Message);
        }
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(_options.VisibilityTimeout / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopHeartbeat.Token))
            {
                foreach (var group in _held.Values.GroupBy(l => l.Reservation.Queue, StringComparer.Ordinal))
                {
                    await RenewAsync(group.Key, [.. group.Select(l => l.Reservation.Member)]);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped last, after every held job was settled.
        }
    }

    private async Task RenewAsync(string name, string[] members)
    {
        IReadOnlyList<string> lost;
        try
        {
            lost = await queue.ExtendAsync(name, members, _options.VisibilityTimeout, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not renew {Count} reservations on {Queue}: {Error}", members.Length, name, ex.Message);
            return;
        }

        foreach (var member in lost)
        {
            // A reservation being acknowledged or released right now is gone from Redis for that reason, not lost.
            if (_held.TryGetValue(member, out var lease) && !lease.IsSettling)
            {
                logger.LogWarning("Lost the reservation of job {JobId} (attempt {Attempt}): it expired before it was renewed and may run elsewhere; this run is cancelled and its outcome discarded",
                    lease.Reservation.JobId, lease.Reservation.Attempts);
                lease.MarkLost();
                Finish(lease);
            }
        }
    }

    private async Task ReleaseAsync(IReadOnlyList<Lease> leases, bool refundAttempt)
    {
        foreach (var lease in leases)
        {
            lease.MarkSettling();
        }

        foreach (var group in leases.Where(l => !l.IsLost).GroupBy(l => l.Reservation.Queue, StringComparer.Ordinal))
        {
            try
            {
                LogRefused(await queue.ReleaseAsync(group.Key, [.. group.Select(l => l.Reservation.Member)], null, refundAttempt, CancellationToken.None), "release the job");
                logger.LogInformation("Released {Count} jobs back to {Queue}", group.Count(), group.Key);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Could not release {Count} jobs back to {Queue}: {Error}; they return when their reservations expire", group.Count(), group.Key, ex.Message);
            }
        }

        Finish(leases);
    }

    private void LogRefused(IReadOnlyList<string> refused, string what)
    {
        foreach (var member in refused)
        {
            logger.LogWarning("Refused to {What} for job {JobId}: its reservation {Member} had expired and was handed to another worker, whose run counts instead",
                what, RedisJobQueue.JobIdOf(member), member);
        }
    }

    /// <summary>Stops renewing the reservation and frees its slot; idempotent.</summary>
    private void Finish(Lease lease) => Finish([lease]);

    // Slots are freed in one step, so the fetcher wakes once and reserves one full batch, not one job per wake-up.
    private void Finish(IReadOnlyList<Lease> leases)
    {
        var freed = leases.Count(lease => _held.TryRemove(lease.Reservation.Member, out _));
        if (freed > 0)
        {
            _slots.Release(freed);
        }
    }

    private async Task<bool> WithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = await Task.WhenAny(task, Task.Delay(timeout, time, cancel.Token));
        await cancel.CancelAsync();
        return first == task;
    }
}
