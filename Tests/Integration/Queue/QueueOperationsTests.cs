using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Queue;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Queue;

/// <summary>
/// What the operator page reads and does, against a real Worker host, Redis and MariaDB: the per-minute metrics and
/// the newest finished jobs the workers write as they settle, pausing and resuming a queue, and retrying the failed
/// jobs a filter matches.
/// </summary>
public sealed class QueueOperationsTests : IAsyncLifetime
{
    private readonly QueueWorkerTests.Recorder _recorder = new();
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, o => QueueWorkerTests.RecordedJobs(o, _recorder), Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Workers_count_every_finished_job_per_type_and_minute_and_list_the_newest_with_their_attempts()
    {
        await using var worker = await StartWorkerAsync("worker-metrics");
        var queue = worker.Services.GetRequiredService<RedisJobQueue>();
        var admin = worker.Services.GetRequiredService<QueueAdminService>();
        var startMinute = QueueMetrics.MinuteOf(DateTimeOffset.UtcNow);

        // One job fails its first attempt and succeeds on a later one; then 20 succeed at once; one cannot be read.
        var flaky = await DispatchAsync(worker, new RecordedJob("flaky"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Attempts(flaky).Count), n => n >= 1, TimeSpan.FromSeconds(20), "the first attempt");
        _recorder.Fixed = true;
        await Eventually.WaitAsync(() => admin.RecentAsync(Ct), r => r.Any(j => j.Id == flaky), TimeSpan.FromSeconds(20), "the flaky job listed");
        var good = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            good.Add(await DispatchAsync(worker, new RecordedJob($"good-{i}")));
        }

        var unknown = Guid.NewGuid().ToString("N");
        await queue.PushAsync(QueueOptions.DefaultQueue, unknown,
            $$"""{"id":"{{unknown}}","type":"no:such-job","queue":"default","payload":{"password":"hunter2"},"enqueuedAt":"2026-11-22T10:00:00Z","availableAt":"2026-11-22T10:00:00Z"}""",
            DateTimeOffset.UtcNow, null, Ct);

        await Eventually.WaitAsync(() => Task.FromResult(good.Count(_recorder.Succeeded)), n => n == good.Count, TimeSpan.FromSeconds(20), "the 20 jobs to run");
        var recent = await Eventually.WaitAsync(
            () => admin.RecentAsync(Ct),
            r => r.Any(j => j.Id == unknown) && r.Any(j => good.Contains(j.Id)),
            TimeSpan.FromSeconds(20), "the failed and the good jobs listed");
        var endMinute = QueueMetrics.MinuteOf(DateTimeOffset.UtcNow) + 1;

        // Every job that finished is listed, the failed one too.
        Assert.Equal(good.Append(flaky).Order(), recent.Where(r => r.State == "succeeded").Select(r => r.Id).Order());
        Assert.All(recent, r => Assert.Equal(("worker-metrics", QueueOptions.DefaultQueue), (r.Instance, r.Queue)));
        var failedEntry = Assert.Single(recent, r => r.State == "failed");
        Assert.Equal((unknown, "no:such-job"), (failedEntry.Id, failedEntry.Type));
        Assert.Contains("Unknown job type", failedEntry.Error, StringComparison.Ordinal);
        // The envelope comes along from Redis as queued (the detail view redacts it, not the store).
        Assert.Contains("\"password\":\"hunter2\"", failedEntry.Envelope, StringComparison.Ordinal);
        var listedGood = recent.First(r => good.Contains(r.Id));
        Assert.Contains($"\"label\":\"good-{good.IndexOf(listedGood.Id)}\"", listedGood.Envelope, StringComparison.Ordinal);
        // The retry may have come before the fix (back-off 50-200 ms): the last attempt is whichever succeeded.
        var flakyAttempts = _recorder.Attempts(flaky).Count;
        Assert.InRange(flakyAttempts, 2, 3);
        Assert.Equal(flakyAttempts, recent.Single(r => r.Id == flaky).Attempts);

        // The counters are exact however many were listed.
        await Eventually.WaitAsync(
            () => queue.MinutesAsync(QueueOptions.DefaultQueue, startMinute, endMinute, Ct),
            m => Sum(m, RecordedJob.JobType).Succeeded == 21, TimeSpan.FromSeconds(20), "21 counted");
        var minutes = await queue.MinutesAsync(QueueOptions.DefaultQueue, startMinute, endMinute, Ct);
        var recorded = Sum(minutes, RecordedJob.JobType);
        var broken = Sum(minutes, "no:such-job");
        Assert.Equal((21L, 0L), (recorded.Succeeded, recorded.Failed));
        Assert.Equal((0L, 1L), (broken.Succeeded, broken.Failed));
        // The flaky job's second attempt has no wait of its own (it includes the back-off); the other 20 do.
        Assert.Equal(20L, recorded.Waits);
        Assert.NotNull(recorded.PercentileRunMs(95));
        Assert.InRange(recorded.MeanWaitMs!.Value, 0, 20_000);

        var history = await admin.FindJobAsync(flaky, Ct);
        Assert.NotNull(history);
        Assert.Equal(Enumerable.Range(1, flakyAttempts - 1), history!.EarlierAttempts.Select(a => a.Attempts));
        Assert.All(history.EarlierAttempts, a => Assert.Equal("retried", a.State));
        Assert.Contains("flaky is broken", history.EarlierAttempts[0].Error, StringComparison.Ordinal);
        Assert.Equal(("succeeded", flakyAttempts), (history.Finished!.State, history.Finished.Attempts));
        Assert.Null(await admin.FindJobAsync(Guid.NewGuid().ToString("N"), Ct));
    }

    [Fact]
    public async Task The_newest_jobs_list_holds_the_last_hundred_finished_across_two_workers_after_a_burst_not_a_sample()
    {
        _recorder.Fixed = true;
        await using var first = await StartWorkerAsync("worker-burst-1");
        await using var second = await StartWorkerAsync("worker-burst-2");
        var admin = first.Services.GetRequiredService<QueueAdminService>();
        var burst = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            burst.Add(await DispatchAsync(i % 2 == 0 ? first : second, new RecordedJob($"burst-{i}")));
        }

        await Eventually.WaitAsync(() => Task.FromResult(burst.Count(_recorder.Succeeded)), n => n == burst.Count, TimeSpan.FromSeconds(60), "the burst to run");
        // Each worker publishes within a second of settling: wait until both have (the last 50 to finish all show).
        var last = _recorder.SucceededLatestFirst().Take(50).ToList();
        var recent = await Eventually.WaitAsync(
            () => admin.RecentAsync(Ct), r => last.All(id => r.Any(j => j.Id == id)), TimeSpan.FromSeconds(20), "the last 50 jobs of the burst listed");

        Assert.Equal(QueueMetrics.RecentKept, recent.Count);
        Assert.Equal(recent.Count, recent.Select(j => j.Id).Distinct().Count());
        Assert.All(recent, j => Assert.Equal("succeeded", j.State));
        Assert.Equal(recent.OrderByDescending(j => j.StartedAt.AddMilliseconds(j.DurationMs)).Select(j => j.Id), recent.Select(j => j.Id));
        // Every listed job is among the last to finish by the handlers' own clock (both workers' lists merged, whichever
        // ran them), with a margin for the jobs run side by side, which the two clocks may order differently; a sample
        // would reach back far.
        var latest = _recorder.SucceededLatestFirst().Take(QueueMetrics.RecentKept + 32).ToHashSet();
        Assert.All(recent, j => Assert.Contains(j.Id, latest));
    }

    [Fact]
    public async Task A_paused_queue_is_reserved_from_by_no_worker_and_drains_once_resumed()
    {
        _recorder.Fixed = true;
        await using var first = await StartWorkerAsync("worker-pause-1");
        await using var second = await StartWorkerAsync("worker-pause-2");
        var admin = first.Services.GetRequiredService<QueueAdminService>();
        var queue = first.Services.GetRequiredService<RedisJobQueue>();

        // Both workers are polling the queue when it is paused: from their next reservation on they take nothing.
        var warmUp = await DispatchAsync(first, new RecordedJob("before-pause"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(warmUp)), done => done, TimeSpan.FromSeconds(20), "a job before the pause");
        Assert.True(await admin.PauseAsync(QueueOptions.DefaultQueue, Ct));
        Assert.False(await admin.PauseAsync(QueueOptions.DefaultQueue, Ct));
        Assert.True((await admin.GetOverviewAsync(Ct)).Queues.Single(q => q.Name == QueueOptions.DefaultQueue).Paused);
        var held = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            held.Add(await DispatchAsync(i % 2 == 0 ? first : second, new RecordedJob($"paused-{i}")));
        }

        // Watch for over a second: every poll of both workers (every 50 ms at most) meets the pause.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            var counts = await queue.CountAsync(QueueOptions.DefaultQueue, Ct);
            Assert.Equal((10L, 0L), (counts.Pending, counts.Reserved));
            Assert.DoesNotContain(held, job => _recorder.Attempts(job).Count > 0);
            await Task.Delay(100, Ct);
        }

        Assert.True(await admin.ResumeAsync(QueueOptions.DefaultQueue, Ct));
        await Eventually.WaitAsync(() => Task.FromResult(held.Count(_recorder.Succeeded)), n => n == held.Count, TimeSpan.FromSeconds(20), "the held jobs to run once resumed");
        Assert.False((await admin.GetOverviewAsync(Ct)).Queues.Single(q => q.Name == QueueOptions.DefaultQueue).Paused);
        Assert.False(await admin.ResumeAsync(QueueOptions.DefaultQueue, Ct));
        Assert.All(held, job => Assert.Equal([1], _recorder.Attempts(job)));
    }

    [Fact]
    public async Task Retry_matching_puts_back_only_the_failed_jobs_the_filter_matches()
    {
        await using var worker = await StartWorkerAsync("worker-retry-matching");
        var admin = worker.Services.GetRequiredService<QueueAdminService>();
        var alpha = new[] { await DispatchAsync(worker, new RecordedJob("alpha-1")), await DispatchAsync(worker, new RecordedJob("alpha-2")) };
        var beta = await DispatchAsync(worker, new RecordedJob("beta-1"));
        await Eventually.WaitAsync(() => admin.CountFailedAsync(FailedJobFilter.All, Ct), c => c.Matching == 3, TimeSpan.FromSeconds(30), "three failed jobs");

        var byText = new FailedJobFilter(Text: "ALPHA");
        Assert.Equal(alpha.Order(), (await admin.ListFailedAsync(byText, 50, null, Ct)).Select(j => j.JobId).Order());
        Assert.Equal([RecordedJob.JobType], (await admin.CountFailedAsync(FailedJobFilter.All, Ct)).Types);
        Assert.Empty(await admin.ListFailedAsync(new FailedJobFilter(Type: "no:such-type"), 50, null, Ct));
        Assert.Equal(3, (await admin.ListFailedAsync(new FailedJobFilter(Type: RecordedJob.JobType, Text: "is broken"), 50, null, Ct)).Count);
        // LIKE's wildcards in the text are plain characters.
        Assert.Empty(await admin.ListFailedAsync(new FailedJobFilter(Text: "%"), 50, null, Ct));
        Assert.Equal([beta], (await admin.ListFailedAsync(new FailedJobFilter(Text: beta), 50, null, Ct)).Select(j => j.JobId));

        _recorder.Fixed = true;
        Assert.Equal(2, await admin.RetryAllAsync(byText, Ct));
        await Eventually.WaitAsync(() => Task.FromResult(alpha.All(_recorder.Succeeded)), done => done, TimeSpan.FromSeconds(20), "the matching jobs to run");

        Assert.Equal([beta], (await admin.ListFailedAsync(FailedJobFilter.All, 50, null, Ct)).Select(j => j.JobId));
        Assert.False(_recorder.Succeeded(beta));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TypeFigures Sum(IEnumerable<Dictionary<string, TypeFigures>> minutes, string type)
    {
        var total = new TypeFigures();
        foreach (var minute in minutes)
        {
            if (minute.TryGetValue(type, out var figures))
            {
                total.Merge(figures);
            }
        }

        return total;
    }

    private Task<TestHost> StartWorkerAsync(string instanceId) => _cluster.StartWorkerAsync(instanceId, Ct, wait: HostWait.Migrated);

    private static async Task<string> DispatchAsync(TestHost host, RecordedJob job) =>
        (await host.Services.GetRequiredService<JobDispatcher>().DispatchAsync(job, null, Ct)).JobId;
}
