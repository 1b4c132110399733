namespace SecondServer.Infrastructure.Queue;

/// <summary>One queue's figures.</summary>
internal sealed record QueueStats(string Name, long Pending, long Reserved, long Delayed, long Failed, double JobsPerSecond);

/// <summary>Every queue's figures and their sums.</summary>
internal sealed record QueueOverview(long Pending, long Reserved, long Delayed, long Failed, double JobsPerSecond, IReadOnlyList<QueueStats> Queues);

/// <summary>What an operator needs (Horizon's dashboard, in small): sizes, throughput, and the failed jobs.</summary>
internal sealed class QueueAdminService(RedisJobQueue queue, JobRegistry registry, FailedJobStore failedJobs)
{
    public async Task<QueueOverview> GetOverviewAsync(CancellationToken cancellationToken)
    {
        var failed = await failedJobs.CountByQueueAsync(cancellationToken);
        var names = registry.KnownQueues
            .Concat(await queue.KnownQueuesAsync(cancellationToken))
            .Concat(failed.Keys)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var counts = await Task.WhenAll(names.Select(n => queue.CountAsync(n, cancellationToken)));
        var queues = counts.Select(c => new QueueStats(c.Queue, c.Pending, c.Reserved, c.Delayed, failed.GetValueOrDefault(c.Queue), Math.Round(c.JobsPerSecond, 2))).ToList();
        return new QueueOverview(
            queues.Sum(q => q.Pending), queues.Sum(q => q.Reserved), queues.Sum(q => q.Delayed), queues.Sum(q => q.Failed),
            Math.Round(queues.Sum(q => q.JobsPerSecond), 2), queues);
    }

    public Task<IReadOnlyList<FailedJob>> ListFailedAsync(string? queueName, int limit, long? beforeId, CancellationToken cancellationToken) =>
        failedJobs.ListAsync(queueName, Math.Clamp(limit, 1, 500), beforeId, cancellationToken);

    public Task<FailedJob?> FindFailedAsync(string jobId, CancellationToken cancellationToken) => failedJobs.FindAsync(jobId, cancellationToken);

    /// <returns>False when no such failed job exists.</returns>
    public Task<bool> RetryAsync(string jobId, CancellationToken cancellationToken) => failedJobs.RetryAsync(jobId, cancellationToken);

    /// <returns>How many were put back.</returns>
    public async Task<int> RetryAllAsync(string? queueName, CancellationToken cancellationToken)
    {
        var retried = 0;
        foreach (var jobId in await failedJobs.JobIdsAsync(queueName, cancellationToken))
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
