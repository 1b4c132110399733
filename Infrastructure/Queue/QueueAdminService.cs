namespace SecondServer.Infrastructure.Queue;

/// <summary>One queue's figures.</summary>
internal sealed record QueueStats(string Name, long Pending, long Reserved, long Delayed, long Failed, double JobsPerSecond, bool Paused = false);

/// <summary>Every queue's figures and their sums.</summary>
internal sealed record QueueOverview(long Pending, long Reserved, long Delayed, long Failed, double JobsPerSecond, IReadOnlyList<QueueStats> Queues);

/// <summary>One point of a queue's activity: jobs finished per minute and their mean wait (null: nothing started).</summary>
internal sealed record ActivityPoint(DateTimeOffset At, double JobsPerMinute, double? MeanWaitMs);

/// <summary>One job type's figures over a span: runs finished, their mean and 95th percentile run time, failures.</summary>
internal sealed record TypeStats(string Type, long Finished, long Failed, double? MeanRunMs, double? P95RunMs, double? MeanWaitMs);

/// <summary>
/// A queue's activity from its per-minute counters: the last hour minute by minute, the last 24 hours in quarter
/// hours, and per job type over both spans.
/// </summary>
internal sealed record QueueActivity(
    string Queue,
    IReadOnlyList<ActivityPoint> LastHour,
    IReadOnlyList<ActivityPoint> LastDay,
    IReadOnlyList<TypeStats> TypesLastHour,
    IReadOnlyList<TypeStats> TypesLastDay);

/// <summary>Everything known of one job: its newest finished run, its failed_jobs row, and its retried attempts.</summary>
internal sealed record JobHistory(string JobId, FinishedJob? Finished, FailedJob? Failed, IReadOnlyList<FinishedJob> EarlierAttempts);

/// <summary>What an operator needs (Horizon's dashboard, in small): sizes, throughput, history, failed jobs, pausing.</summary>
internal sealed class QueueAdminService(RedisJobQueue queue, JobRegistry registry, FailedJobStore failedJobs, TimeProvider time)
{
    private const int DayBucketMinutes = 15;

    public async Task<QueueOverview> GetOverviewAsync(CancellationToken cancellationToken)
    {
        var failed = await failedJobs.CountByQueueAsync(cancellationToken);
        var paused = await queue.PausedAsync(cancellationToken);
        var names = registry.KnownQueues
            .Concat(await queue.KnownQueuesAsync(cancellationToken))
            .Concat(failed.Keys)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var counts = await Task.WhenAll(names.Select(n => queue.CountAsync(n, cancellationToken)));
        var queues = counts
            .Select(c => new QueueStats(
                c.Queue,
                c.Pending,
                c.Reserved,
                c.Delayed,
                Failed: failed.GetValueOrDefault(c.Queue),
                JobsPerSecond: Math.Round(c.JobsPerSecond, 2),
                Paused: paused.Contains(c.Queue)))
            .ToList();
        return new QueueOverview(
            queues.Sum(q => q.Pending), queues.Sum(q => q.Reserved), queues.Sum(q => q.Delayed), queues.Sum(q => q.Failed),
            Math.Round(queues.Sum(q => q.JobsPerSecond), 2), queues);
    }

    /// <summary>
    /// One read of the last 24 hours' per-minute hashes (1,440 HGETALLs in one pipeline), from which both spans are
    /// drawn. The minute in progress is left out: its counters are still growing.
    /// </summary>
    public async Task<QueueActivity> GetActivityAsync(string queueName, CancellationToken cancellationToken)
    {
        var last = QueueMetrics.MinuteOf(time.GetUtcNow()) - 1;
        var first = last - (24 * 60) + 1;
        var minutes = await queue.MinutesAsync(queueName, first, last, cancellationToken);
        var hour = minutes.Skip(minutes.Count - 60).ToList();
        var lastHour = hour.Select((m, i) => Point(last - 59 + i, [m], 1)).ToList();
        var lastDay = minutes.Chunk(DayBucketMinutes).Select((c, i) => Point(first + (i * DayBucketMinutes), c, DayBucketMinutes)).ToList();
        return new QueueActivity(queueName, lastHour, lastDay, Types(hour), Types(minutes));

        static ActivityPoint Point(long minute, IReadOnlyList<Dictionary<string, TypeFigures>> span, int length)
        {
            var sum = Sum(span);
            return new ActivityPoint(DateTimeOffset.FromUnixTimeSeconds(minute * 60), (double)sum.Finished / length, sum.MeanWaitMs);
        }

        static TypeFigures Sum(IEnumerable<Dictionary<string, TypeFigures>> span)
        {
            var total = new TypeFigures();
            foreach (var figures in span.SelectMany(m => m.Values))
            {
                total.Merge(figures);
            }

            return total;
        }

        static List<TypeStats> Types(IEnumerable<Dictionary<string, TypeFigures>> span)
        {
            var types = new Dictionary<string, TypeFigures>(StringComparer.Ordinal);
            foreach (var (type, figures) in span.SelectMany(m => m))
            {
                if (!types.TryGetValue(type, out var total))
                {
                    types[type] = total = new TypeFigures();
                }

                total.Merge(figures);
            }

            return [.. types.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => new TypeStats(t.Key, t.Value.Finished, t.Value.Failed, t.Value.MeanRunMs, t.Value.PercentileRunMs(95), t.Value.MeanWaitMs))];
        }
    }

    public Task<IReadOnlyList<FinishedJob>> RecentAsync(CancellationToken cancellationToken) => queue.RecentAsync(cancellationToken);

    /// <returns>Null when nothing is known of the job any more.</returns>
    public async Task<JobHistory?> FindJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var finished = (await queue.RecentAsync(cancellationToken)).FirstOrDefault(j => j.Id == jobId);
        var failed = await failedJobs.FindAsync(jobId, cancellationToken);
        var attempts = await queue.AttemptsAsync(jobId, cancellationToken);
        return finished is null && failed is null && attempts.Count == 0 ? null : new JobHistory(jobId, finished, failed, attempts);
    }

    /// <returns>False when it was paused already.</returns>
    public Task<bool> PauseAsync(string queueName, CancellationToken cancellationToken) => queue.PauseAsync(queueName, cancellationToken);

    /// <returns>False when it was not paused.</returns>
    public Task<bool> ResumeAsync(string queueName, CancellationToken cancellationToken) => queue.ResumeAsync(queueName, cancellationToken);

    public Task<IReadOnlyList<FailedJob>> ListFailedAsync(FailedJobFilter filter, int limit, long? beforeId, CancellationToken cancellationToken) =>
        failedJobs.ListAsync(filter, Math.Clamp(limit, 1, 500), beforeId, cancellationToken);

    public Task<(long Matching, IReadOnlyList<string> Types)> CountFailedAsync(FailedJobFilter filter, CancellationToken cancellationToken) =>
        failedJobs.CountAsync(filter, cancellationToken);

    public Task<FailedJob?> FindFailedAsync(string jobId, CancellationToken cancellationToken) => failedJobs.FindAsync(jobId, cancellationToken);

    /// <returns>False when no such failed job exists.</returns>
    public Task<bool> RetryAsync(string jobId, CancellationToken cancellationToken) => failedJobs.RetryAsync(jobId, cancellationToken);

    /// <returns>How many were put back.</returns>
    public async Task<int> RetryAllAsync(FailedJobFilter filter, CancellationToken cancellationToken)
    {
        var retried = 0;
        foreach (var jobId in await failedJobs.JobIdsAsync(filter, cancellationToken))
        {
            if (await failedJobs.RetryAsync(jobId, cancellationToken))
            {
                retried++;
            }
        }

        return retried;
    }

    /// <returns>False when no such failed job exists.</returns>
    public Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken) => failedJobs.DeleteAsync(jobId, cancellationToken);
}
