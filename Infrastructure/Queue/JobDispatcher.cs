using System.Text.Json;

namespace SecondServer.Infrastructure.Queue;

/// <summary>Puts typed jobs on their queue. Used by both hosts (Web dispatches, Worker handlers may chain jobs).</summary>
internal sealed class JobDispatcher(RedisJobQueue queue, JobRegistry registry, TimeProvider time)
{
    /// <exception cref="QueueUnavailableException">Redis could not be reached; nothing was enqueued.</exception>
    public async Task<DispatchResult> DispatchAsync<TJob>(TJob job, DispatchOptions? options, CancellationToken cancellationToken)
        where TJob : IJob
    {
        ArgumentNullException.ThrowIfNull(job);
        var registration = registry.Get<TJob>();
        var queueName = options?.Queue ?? registration.Settings.Queue;
        if (!QueueOptions.QueueName().IsMatch(queueName))
        {
            throw new ArgumentException($"'{queueName}' is not a valid queue name.", nameof(options));
        }

        var id = Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();
        var uniqueId = (job as IUniqueJob)?.UniqueId;
        using var activity = QueueTelemetry.StartDispatch(TJob.JobType, queueName, id);
        var envelope = new JobEnvelope
        {
            Id = id,
            Type = TJob.JobType,
            Queue = queueName,
            Payload = JsonSerializer.SerializeToElement(job, JobRegistration.PayloadJson),
            EnqueuedAt = now,
            AvailableAt = now + (options?.Delay is { } delay && delay > TimeSpan.Zero ? delay : TimeSpan.Zero),
            TraceParent = QueueTelemetry.TraceParentOf(activity),
            UniqueId = uniqueId,
        };
        var unique = uniqueId is null ? null : new UniqueLock(RedisJobQueue.UniqueKey(TJob.JobType, uniqueId), registration.Settings.UniqueFor);
        var result = await queue.PushAsync(queueName, id, envelope.Serialize(), envelope.AvailableAt, unique, cancellationToken);
        activity?.SetTag("secondserver.queue.enqueued", result.Enqueued);
        return result;
    }
}
