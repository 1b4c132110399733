namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// A unit of background work: a small serializable record (JSON, camelCase) that names its handler through
/// <see cref="JobType"/>. Web and Worker may run different releases during a rolling deploy, so a job's shape must
/// stay readable by the previous release: add optional members, never rename or remove them.
/// </summary>
internal interface IJob
{
    /// <summary>The stable name written into the envelope (e.g. <c>report:generate</c>); never the CLR type name.</summary>
    static abstract string JobType { get; }
}

/// <summary>
/// A job that may be queued only once at a time per <see cref="UniqueId"/> (Laravel's ShouldBeUnique): while one is
/// pending, reserved or waiting for a retry, dispatching another returns the first one's id instead. The lock is
/// released when the job succeeds or fails for good, and expires after <see cref="JobSettings.UniqueFor"/> in any
/// case, so a lost job never blocks its successors for ever.
/// </summary>
internal interface IUniqueJob : IJob
{
    string UniqueId { get; }
}

/// <summary>Runs one job type. Resolved from a fresh DI scope for every job.</summary>
/// <remarks>
/// Delivery is at least once: a job can run again after a crash, a lost reservation or a retry, so a handler must be
/// idempotent (write its effect under a key derived from the job, or check what is already done).
/// </remarks>
internal interface IJobHandler<in TJob>
    where TJob : IJob
{
    Task HandleAsync(TJob job, JobContext context, CancellationToken cancellationToken);
}

/// <summary>Told when a job of its type fails for good (out of attempts, or unreadable), after it is in failed_jobs.</summary>
internal interface IJobFailureHandler<in TJob>
    where TJob : IJob
{
    Task OnFailedAsync(TJob job, JobContext context, string reason, CancellationToken cancellationToken);
}

/// <summary>What a handler may know about the delivery it is running.</summary>
/// <param name="JobId">The job's id, stable across attempts and retries.</param>
/// <param name="Queue">The queue it was reserved from.</param>
/// <param name="Attempt">1 on the first delivery; every reservation counts, crashes included.</param>
/// <param name="MaxAttempts">Attempts allowed before the job goes to failed_jobs.</param>
/// <param name="EnqueuedAt">When it was first dispatched.</param>
internal sealed record JobContext(string JobId, string Queue, int Attempt, int MaxAttempts, DateTimeOffset EnqueuedAt)
{
    public bool IsLastAttempt => Attempt >= MaxAttempts;
}

/// <summary>How one job type is queued and retried; unset values fall back to the <c>Queue</c> configuration.</summary>
internal sealed class JobSettings
{
    public string Queue { get; set; } = QueueOptions.DefaultQueue;

    public int? MaxAttempts { get; set; }

    /// <summary>Base of the exponential back-off between attempts.</summary>
    public TimeSpan? RetryDelay { get; set; }

    /// <summary>How long one attempt may run before its cancellation token fires and it counts as failed.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>For <see cref="IUniqueJob"/>: how long the uniqueness lock lives at most.</summary>
    public TimeSpan UniqueFor { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Per-dispatch choices.</summary>
internal sealed record DispatchOptions
{
    /// <summary>Run no earlier than this long from now.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Another queue than the job type's own.</summary>
    public string? Queue { get; init; }
}

/// <summary>The outcome of a dispatch.</summary>
/// <param name="JobId">The new job's id, or for a unique job already queued, the id of the one holding the lock.</param>
/// <param name="Enqueued">False when a unique job was already queued and nothing new was added.</param>
internal sealed record DispatchResult(string JobId, bool Enqueued);

/// <summary>
/// The queue's store (Redis) could not be reached: nothing was enqueued. It wraps the Redis client's exception, by
/// which the Web host's dependency-failure mapping answers 503 problem+json.
/// </summary>
internal sealed class QueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
