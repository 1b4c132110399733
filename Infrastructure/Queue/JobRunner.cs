using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.ServiceDefaults;

namespace SecondServer.Infrastructure.Queue;

/// <summary>A reservation held by this process, from reservation until its worker settles it.</summary>
internal sealed class Lease(Reservation reservation)
{
    private CancellationTokenSource? _running;
    private volatile bool _lost;

    public Reservation Reservation { get; } = reservation;

    /// <summary>The unique lock to release when the job is done for good; known once the envelope is read.</summary>
    public string? UniqueKey { get; set; }

    public bool IsLost => _lost;

    /// <summary>What this attempt's run was, for the queue's metrics and history; set by the runner.</summary>
    public JobRun? Run { get; set; }

    public Settlement Settlement => new(Reservation.Member, UniqueKey, Reservation.Attempts, Run);

    /// <summary>Its outcome is on its way to Redis (ack or release), which removes the reservation itself.</summary>
    public bool IsSettling { get; private set; }

    public void MarkSettling() => IsSettling = true;

    /// <summary>The reservation expired and may be running elsewhere: cancel this run, its outcome no longer counts.</summary>
    public void MarkLost()
    {
        _lost = true;
        Cancel();
    }

    public void Attach(CancellationTokenSource running)
    {
        _running = running;
        if (_lost)
        {
            Cancel();
        }
    }

    public void Detach() => _running = null;

    private void Cancel()
    {
        try
        {
            _running?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended in between.
        }
    }
}

internal enum OutcomeKind
{
    /// <summary>Done: acknowledge (delete) it.</summary>
    Succeeded,

    /// <summary>Run it again after <see cref="JobOutcome.RetryAt"/>.</summary>
    Retry,

    /// <summary>Recorded in failed_jobs: delete it from the queue.</summary>
    Failed,

    /// <summary>Cancelled by the stop timeout: back to pending at once.</summary>
    Interrupted,

    /// <summary>The reservation was lost meanwhile: nothing of this run may touch the queue.</summary>
    Lost,
}

internal readonly record struct JobOutcome(OutcomeKind Kind, DateTimeOffset? RetryAt = null, bool RefundAttempt = false);

/// <summary>
/// Runs one reserved job: reads the envelope, finds the handler, runs it under its timeout and trace, and decides
/// what happens to it. Unreadable envelopes and unknown types fail at once (no attempt can fix them); a job that
/// cannot be recorded in failed_jobs (MySQL down) is kept and tried again, never dropped.
/// </summary>
internal sealed partial class JobRunner(
    JobRegistry registry,
    FailedJobStore failedJobs,
    IServiceScopeFactory scopes,
    IOptions<QueueOptions> options,
    InstanceIdentity instance,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    private const string Unreadable = "(unreadable)";

    /// <summary>An error kept with a run is cut here: enough for the trace, bounded for the lists in Redis.</summary>
    private const int ErrorKept = 8 * 1024;
    private readonly QueueOptions _options = options.Value;
    private readonly string _instance = instance.Name;

    /// <summary>Runs the job; <paramref name="abort"/> fires when the stop timeout has run out (the run is cancelled, the job released).</summary>
    public async Task<JobOutcome> RunAsync(Lease lease, CancellationToken abort)
    {
        var reservation = lease.Reservation;
        var envelope = JobEnvelope.TryParse(reservation.Envelope, out var unreadable);
        if (envelope is null)
        {
            return await FailAsync(lease, Unreadable, unreadable!, null);
        }

        lease.UniqueKey = envelope.UniqueId is null ? null : RedisJobQueue.UniqueKey(envelope.Type, envelope.UniqueId);
        var registration = registry.Find(envelope.Type);
        if (registration is null)
        {
            return await FailAsync(lease, envelope.Type,
                $"Unknown job type '{envelope.Type}': no handler is registered for it in this release. Retry it from the admin API once a release that knows it runs.", null);
        }

        object job;
        try
        {
            job = registration.Read(envelope.Payload);
        }
        catch (JsonException ex)
        {
            return await FailAsync(lease, envelope.Type, $"The payload does not fit job type '{envelope.Type}': {ex.Message}", null);
        }

        var maxAttempts = registration.Settings.MaxAttempts ?? _options.MaxAttempts;
        var context = new JobContext(reservation.JobId, reservation.Queue, reservation.Attempts, maxAttempts, envelope.EnqueuedAt);
        if (reservation.Attempts > maxAttempts)
        {
            return await FailAsync(lease, envelope.Type,
                $"Gave up after {maxAttempts} attempts: the earlier deliveries never finished (their worker crashed or was stopped).", (registration, job, context));
        }

        return await HandleAsync(lease, envelope, registration, job, context, abort);
    }

    private async Task<JobOutcome> HandleAsync(Lease lease, JobEnvelope envelope, JobRegistration registration, object job, JobContext context, CancellationToken abort)
    {
        var timeout = registration.Settings.Timeout ?? _options.JobTimeout;
        using var activity = QueueTelemetry.StartProcess(envelope, lease.Reservation);
        using var running = new CancellationTokenSource(timeout, time);
        using var stop = abort.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), running);
        lease.Attach(running);
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var wait = context.Attempt == 1 ? startedAt - envelope.AvailableAt : (TimeSpan?)null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await registration.HandleAsync(scope.ServiceProvider, job, context, running.Token);
            lease.Run = new JobRun(envelope.Type, startedAt, time.GetElapsedTime(started), wait, _instance, null);
            QueueTelemetry.Processed.Add(1, QueueTelemetry.Tags(context.Queue, envelope.Type));
            LogSucceeded(logger, context.JobId, envelope.Type, context.Attempt);
            return new JobOutcome(OutcomeKind.Succeeded);
        }
        catch (Exception ex)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            if (lease.IsLost)
            {
                return new JobOutcome(OutcomeKind.Lost);
            }

            if (abort.IsCancellationRequested && ex is OperationCanceledException)
            {
                logger.LogWarning("Job {JobId} ({JobType}) was cancelled by the stop timeout; it goes back to its queue", context.JobId, envelope.Type);
                return new JobOutcome(OutcomeKind.Interrupted);
            }

            var error = ex is OperationCanceledException && running.IsCancellationRequested
                ? new TimeoutException($"Job {context.JobId} ({envelope.Type}) did not finish within its timeout of {timeout}.", ex)
                : ex;
            lease.Run = new JobRun(envelope.Type, startedAt, time.GetElapsedTime(started), wait, _instance, Cut(error.ToString()));
            if (context.IsLastAttempt)
            {
                return await FailAsync(lease, envelope.Type, error.ToString(), (registration, job, context));
            }

            var retryAt = time.GetUtcNow() + RetryBackoff.Delay(context.Attempt, registration.Settings.RetryDelay ?? _options.RetryDelay, _options.MaxRetryDelay, Random.Shared);
            QueueTelemetry.Retried.Add(1, QueueTelemetry.Tags(context.Queue, envelope.Type));
            logger.LogWarning(error, "Job {JobId} ({JobType}) failed on attempt {Attempt} of {MaxAttempts}; next attempt at {RetryAt:O}",
                context.JobId, envelope.Type, context.Attempt, context.MaxAttempts, retryAt);
            return new JobOutcome(OutcomeKind.Retry, retryAt);
        }
        finally
        {
            lease.Detach();
        }
    }

    private async Task<JobOutcome> FailAsync(Lease lease, string type, string reason, (JobRegistration Registration, object Job, JobContext Context)? known)
    {
        var reservation = lease.Reservation;
        lease.Run ??= new JobRun(type, time.GetUtcNow(), TimeSpan.Zero, null, _instance, Cut(reason));
        try
        {
            // Not cancellable: a job about to be recorded is recorded even while the worker stops.
            await failedJobs.RecordAsync(reservation.JobId, reservation.Queue, type, reservation.Envelope, reason, reservation.Attempts, _instance, CancellationToken.None);
        }
        catch (Exception ex)
        {
            var retryAt = time.GetUtcNow() + RetryBackoff.Delay(1, _options.RetryDelay, _options.MaxRetryDelay, Random.Shared);
            logger.LogError(ex, "Job {JobId} ({JobType}) failed for good but could not be recorded in failed_jobs; it stays queued and is tried again at {RetryAt:O}. Reason: {Reason}",
                reservation.JobId, type, retryAt, reason);
            return new JobOutcome(OutcomeKind.Retry, retryAt, RefundAttempt: true);
        }

        QueueTelemetry.Failed.Add(1, QueueTelemetry.Tags(reservation.Queue, type));
        logger.LogError("Job {JobId} ({JobType}) moved to failed_jobs after attempt {Attempt}: {Reason}", reservation.JobId, type, reservation.Attempts, reason);
        if (known is { } k)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await k.Registration.FailedAsync(scope.ServiceProvider, k.Job, k.Context, reason, CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The failure handler of job {JobId} ({JobType}) threw; the job is in failed_jobs regardless", reservation.JobId, type);
            }
        }

        return new JobOutcome(OutcomeKind.Failed);
    }

    private static string Cut(string error) => error.Length > ErrorKept ? error[..ErrorKept] : error;

    // Once per job: generated, so a disabled level costs no boxing or argument array.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} ({JobType}) succeeded on attempt {Attempt}")]
    private static partial void LogSucceeded(ILogger logger, string jobId, string jobType, int attempt);
}
