using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Application.Data;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using SecondServer.ServiceDefaults;

namespace SecondServer.Application.QueueProbe;

/// <summary>
/// A job that takes the time it is told to and writes down each run (queue_probe_runs): an end-to-end check of the
/// queue, workers and database for operators. It ships with the application on purpose: a Worker process runs only
/// job types of its own assemblies, and the tests that kill, stop and race real Worker processes watch it through
/// these rows. With a <paramref name="Gate"/>, the run also waits until the gate is opened (<see cref="GateKey"/> set
/// in Redis), so whoever dispatched it decides when it ends, whatever the machine's load, rather than a guessed time.
/// </summary>
internal sealed record QueueProbeJob(string Label, int WorkMilliseconds, string? Gate = null) : IJob
{
    public static string JobType => "queue:probe";

    /// <summary>The Redis key (under the application's prefix) whose existence opens the gate named <paramref name="gate"/>.</summary>
    public static string GateKey(string gate) => $"queue-probe-gate:{gate}";
}

internal sealed class QueueProbeHandler(IDbContextFactory<AppDbContext> contexts, RedisConnection redis, InstanceIdentity instance, TimeProvider time) : IJobHandler<QueueProbeJob>
{
    private static readonly TimeSpan GatePollInterval = TimeSpan.FromMilliseconds(50);

    public async Task HandleAsync(QueueProbeJob job, JobContext context, CancellationToken cancellationToken)
    {
        var run = new QueueProbeRunRow
        {
            JobId = context.JobId,
            Label = job.Label,
            Attempt = context.Attempt,
            Instance = instance.Name,
            StartedAt = time.GetUtcNow().UtcDateTime,
        };
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.QueueProbeRuns.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(job.WorkMilliseconds, 0, 3_600_000)), time, cancellationToken);
        if (job.Gate is { } gate)
        {
            while (!await redis.Database.KeyExistsAsync(QueueProbeJob.GateKey(gate)))
            {
                await Task.Delay(GatePollInterval, time, cancellationToken);
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.QueueProbeRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.FinishedAt, now), cancellationToken);
        }
    }
}

internal static class QueueProbeRegistration
{
    public static IServiceCollection AddQueueProbe(this IServiceCollection services) =>
        services.AddJob<QueueProbeJob, QueueProbeHandler>();
}
