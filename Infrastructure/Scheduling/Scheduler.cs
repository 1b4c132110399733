using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.ServiceDefaults;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// Runs the schedules in every Web and Worker process, like Laravel's scheduler on every server, so no server is a
/// single point of failure; the guards make each slot run once across all of them.
/// </summary>
/// <remarks>
/// <para>Each schedule has a cursor, the last slot this process handled. The next slot is computed from the cursor
/// and the schedule, never from "now", and handled when this process's clock reaches it. So servers whose clocks
/// differ by a few seconds name the same slot and race for the same claim key, <c>sched:{name}:{slot}</c>: the one
/// whose clock is ahead claims it a little early, and can claim nothing further ahead because the next slot has a
/// key of its own; the one whose clock is behind tries the same key later, finds it taken and records a skip. The
/// key outlives every server's try (<see cref="SchedulingOptions.SlotClaimTtl"/>), and the history's unique
/// (job, claimed_slot) index refuses a second execution even if Redis lost the key.</para>
/// <para>A scheduler that wakes late (a pause, a busy machine) still handles the slot it slept through, within the
/// grace window; older slots are logged as missed, for they belonged to the servers that were awake. The cursor
/// never moves back, so a clock stepped backwards replays nothing. Slots before this process started are left to
/// the servers that were up then.</para>
/// <para>The run itself goes on in the background, so a long job never delays the next slot's claim; with
/// <c>WithoutOverlapping</c> that slot is skipped while the lease is held.</para>
/// </remarks>
internal sealed class Scheduler(
    ScheduleCatalog catalog,
    ScheduleLocks locks,
    ScheduleHistory history,
    MigrationState migrations,
    IServiceScopeFactory scopes,
    IOptions<SchedulingOptions> options,
    InstanceIdentity instance,
    TimeProvider time,
    ILogger<Scheduler> logger) : BackgroundService
{
    private readonly string _instance = instance.Name;
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly CancellationTokenSource _abortRuns = new();
    private DateTimeOffset _started;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Read while the host starts, not when ExecuteAsync gets a thread: slots after this moment are this process's.
        _started = time.GetUtcNow();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("Scheduling is disabled on {Instance}; the other instances run every slot", _instance);
            return;
        }

        try
        {
            // The history table exists only once migrations ran; slots due meanwhile are handled late, within grace.
            await migrations.WhenAppliedAsync(stoppingToken);
            logger.LogInformation("Scheduler on {Instance} follows {Schedules}", _instance, string.Join("; ", catalog.Schedules));
            await Task.WhenAll(catalog.Schedules.Select(s => FollowAsync(s, _started, stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: no slot is claimed from here on.
        }
        catch (InvalidOperationException) when (migrations.Failure is not null)
        {
            // The migration runner has logged why and is stopping the host.
        }
    }

    /// <summary>Claims no new slot, then lets the jobs in hand finish within the host's shutdown timeout.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var runs = _running.Keys.ToArray();
        try
        {
            await Task.WhenAll(runs).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Past the shutdown timeout: cancel what still runs and give it a moment to record how it ended.
            await _abortRuns.CancelAsync();
            try
            {
                await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("{Count} scheduled runs ignored cancellation; their history rows stay 'running'", runs.Count(r => !r.IsCompleted));
            }
        }
    }

    public override void Dispose()
    {
        _abortRuns.Dispose();
        base.Dispose();
    }

    private async Task FollowAsync(ScheduleDefinition schedule, DateTimeOffset started, CancellationToken stoppingToken)
    {
        var grace = options.Value.GraceWindow;
        var cursor = started;
        while (!stoppingToken.IsCancellationRequested)
        {
            var slot = schedule.NextSlotAfter(cursor);
            await WaitUntilAsync(slot, grace, stoppingToken);
            var now = time.GetUtcNow();
            if (now - slot > grace)
            {
                logger.LogWarning(
                    "Schedule {Schedule} missed its slots from {Slot:O} on {Instance}: the scheduler woke {Late} late, past the grace window of {Grace}",
                    schedule.Name, slot, _instance, now - slot, grace);
                cursor = now - grace;
                continue;
            }

            // Once claimed, a slot is seen through (bounded by the Redis and MySQL timeouts) even if a stop begins.
            await HandleSlotAsync(schedule, new ScheduledRun(schedule.Name, slot, _instance), schedule.OnOneServer);
            cursor = slot;
        }
    }

    private async Task WaitUntilAsync(DateTimeOffset slot, TimeSpan grace, CancellationToken stoppingToken)
    {
        // Short naps: a wall clock stepped forward (NTP) is noticed within half the grace window, not a day late.
        // Rounded up to a whole millisecond: Task.Delay completes a shorter delay at once, which would spin here
        // (forever on a clock that only moves when told to).
        for (var wait = slot - time.GetUtcNow(); wait > TimeSpan.Zero; wait = slot - time.GetUtcNow())
        {
            var nap = wait < grace / 2 ? wait : grace / 2;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(nap.TotalMilliseconds)), time, stoppingToken);
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> once across the cluster for the manual slot a "run now" form carried
    /// (<see cref="ManualRuns"/>), through the same claim, lease and history as its scheduled slots: however many
    /// replicas receive the same click, one claims the slot and the others record that they stood down.
    /// </summary>
    public Task<SlotOutcome> RunNowAsync(ScheduleDefinition job, DateTimeOffset manualSlot, string requestedBy)
    {
        logger.LogInformation("Schedule {Schedule}: {User} asked on {Instance} for a run now (manual slot {Slot:O})", job.Name, requestedBy, _instance, manualSlot);
        return HandleSlotAsync(job, new ScheduledRun(job.Name, manualSlot, _instance, requestedBy), onceAcrossServers: true);
    }

    private async Task<SlotOutcome> HandleSlotAsync(ScheduleDefinition schedule, ScheduledRun run, bool onceAcrossServers)
    {
        var owner = $"{_instance}/{Guid.NewGuid():N}";
        var leased = false;
        try
        {
            if (onceAcrossServers)
            {
                var (claimed, winner) = await locks.TryClaimSlotAsync(schedule.Name, run.Slot, owner, CancellationToken.None);
                if (!claimed)
                {
                    return await SkipAsync(run, ScheduleRunStatus.SkippedOtherServer, $"Claimed by {winner ?? "another instance"}.");
                }
            }

            if (schedule.WithoutOverlapping)
            {
                var (acquired, holder) = await locks.TryAcquireLeaseAsync(schedule.Name, owner, CancellationToken.None);
                if (!acquired)
                {
                    return await SkipAsync(run, ScheduleRunStatus.SkippedOverlap, $"The previous run still holds the lease ({holder ?? "expiring"}).");
                }

                leased = true;
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("Schedule {Schedule} slot {Slot:O} skipped on {Instance}: Redis could not be asked ({Error})", run.Job, run.Slot, run.Instance, ex.Message);
            return await SkipAsync(run, ScheduleRunStatus.SkippedUnavailable, $"Redis could not be asked, so the slot was not run unguarded: {ex.Message}");
        }

        long? id;
        try
        {
            id = await history.StartAsync(run, onceAcrossServers, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The durable guard and the record of who ran it are part of running: without them, do not start.
            logger.LogError(ex, "Schedule {Schedule} slot {Slot:O} was not run on {Instance}: its start could not be recorded", run.Job, run.Slot, run.Instance);
            await ReleaseAsync(schedule, owner, leased);
            return new SlotOutcome(ScheduleRunStatus.SkippedUnavailable, run.Instance, "Its start could not be recorded in MySQL, so it was not run.");
        }

        if (id is null)
        {
            await ReleaseAsync(schedule, owner, leased);
            return await SkipAsync(run, ScheduleRunStatus.SkippedAlreadyRan, "The history already holds an execution of this slot; its Redis claim was lost.");
        }

        // On the thread pool: a job that blocks before its first await must not hold up the next slot's claim.
        var execution = Task.Run(() => ExecuteAsync(schedule, run, id.Value, leased ? owner : null), CancellationToken.None);
        _running.TryAdd(execution, true);
        _ = execution.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new SlotOutcome(ScheduleRunStatus.Running, run.Instance, $"Started on {run.Instance}.");
    }

    private async Task ExecuteAsync(ScheduleDefinition schedule, ScheduledRun run, long id, string? leaseOwner)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_abortRuns.Token);
        using var stopRenewing = new CancellationTokenSource();
        var leaseLost = leaseOwner is null ? Task.FromResult<string?>(null) : KeepLeaseAsync(schedule.Name, leaseOwner, cancel, stopRenewing.Token);
        string status;
        string? error = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var job = (IScheduledJob)ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, schedule.JobType);
            await job.ExecuteAsync(run, cancel.Token);
            status = ScheduleRunStatus.Ok;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            status = ScheduleRunStatus.Cancelled;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Schedule {Schedule} slot {Slot:O} failed on {Instance}", run.Job, run.Slot, run.Instance);
            status = ScheduleRunStatus.Failed;
            error = $"{ex.GetType().FullName}: {ex.Message}";
        }

        await stopRenewing.CancelAsync();
        var lost = await leaseLost;
        if (status == ScheduleRunStatus.Cancelled)
        {
            error = lost ?? "The host stopped before the job finished.";
        }

        if (leaseOwner is not null && lost is null)
        {
            await ReleaseAsync(schedule, leaseOwner, leased: true);
        }

        try
        {
            await history.FinishAsync(id, status, error, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Schedule {Schedule} slot {Slot:O} ended {Status} on {Instance}, but the history could not record it", run.Job, run.Slot, status, run.Instance);
        }
    }

    /// <summary>
    /// Renews the lease while the job runs; returns why the lease was lost (the job has then been cancelled, so two
    /// runs never overlap), or null when the job ended first.
    /// </summary>
    private async Task<string?> KeepLeaseAsync(string schedule, string owner, CancellationTokenSource cancelJob, CancellationToken stop)
    {
        var settings = options.Value;
        var renewed = time.GetUtcNow();
        try
        {
            while (true)
            {
                await Task.Delay(settings.OverlapRenewInterval, time, stop);
                string? lost = null;
                try
                {
                    if (await locks.RenewLeaseAsync(schedule, owner, stop))
                    {
                        renewed = time.GetUtcNow();
                        continue;
                    }

                    lost = "The overlap lease expired and was lost before the job finished; the job was cancelled so two runs never overlap.";
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning("Could not renew the lease of schedule {Schedule}: {Error}", schedule, ex.Message);
                    if (time.GetUtcNow() - renewed >= settings.OverlapLeaseTtl)
                    {
                        lost = $"The overlap lease could not be renewed for its whole TTL ({ex.Message}); the job was cancelled so two runs never overlap.";
                    }
                }

                if (lost is not null)
                {
                    logger.LogWarning("Schedule {Schedule}: {Reason}", schedule, lost);
                    await cancelJob.CancelAsync();
                    return lost;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task ReleaseAsync(ScheduleDefinition schedule, string owner, bool leased)
    {
        if (!leased)
        {
            return;
        }

        try
        {
            await locks.ReleaseLeaseAsync(schedule.Name, owner, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Could not release the lease of schedule {Schedule} ({Error}); it expires within {Ttl}", schedule.Name, ex.Message, options.Value.OverlapLeaseTtl);
        }
    }

    private async Task<SlotOutcome> SkipAsync(ScheduledRun run, string status, string reason)
    {
        logger.LogDebug("Schedule {Schedule} slot {Slot:O} skipped on {Instance}: {Reason}", run.Job, run.Slot, run.Instance, reason);
        try
        {
            await history.RecordSkipAsync(run, status, reason, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(
                "Schedule {Schedule} slot {Slot:O} skipped on {Instance} ({Status}: {Reason}); the history could not record it: {Error}",
                run.Job, run.Slot, run.Instance, status, reason, ex.Message);
        }

        return new SlotOutcome(status, run.Instance, reason);
    }
}

/// <summary>What one server did with one slot: started it (<see cref="ScheduleRunStatus.Running"/>) or a skip, and why.</summary>
internal sealed record SlotOutcome(string Status, string Instance, string Detail);
