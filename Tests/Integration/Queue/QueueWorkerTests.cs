using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using SecondServer.Application.QueueProbe;
using SecondServer.Application.Reports;
using SecondServer.Infrastructure.Queue;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Queue;

/// <summary>
/// A Worker host in the test process with test-only job types, against the real Redis and MariaDB: failures,
/// retries, bad envelopes, delays, tracing and outages, observed through what the handlers saw.
/// </summary>
public sealed class QueueWorkerTests : IAsyncLifetime
{
    private readonly Recorder _recorder = new();
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(0, 0, o => RecordedJobs(o, _recorder), Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_poison_job_lands_in_failed_jobs_after_its_attempts_and_runs_once_retried_after_the_fix()
    {
        await using var worker = await StartWorkerAsync("worker-poison");
        var admin = worker.Services.GetRequiredService<QueueAdminService>();

        var job = await DispatchAsync(worker, new RecordedJob("poison"));
        var failed = await Eventually.WaitAsync(() => admin.FindFailedAsync(job, Ct), f => f is not null, TimeSpan.FromSeconds(20), "the job in failed_jobs");

        Assert.Equal((job, 3, RecordedJob.JobType, "worker-poison"), (failed!.JobId, failed.Attempts, failed.JobType, failed.FailedBy));
        Assert.Contains("InvalidOperationException: poison is broken", failed.Exception, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], _recorder.Attempts(job));
        Assert.Equal(1, (await admin.GetOverviewAsync(Ct)).Failed);

        _recorder.Fixed = true;
        Assert.True(await admin.RetryAsync(job, Ct));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(job)), done => done, TimeSpan.FromSeconds(20), "the retried job to succeed");

        Assert.Equal([1, 2, 3, 1], _recorder.Attempts(job));
        Assert.Null(await admin.FindFailedAsync(job, Ct));
        var overview = await Eventually.WaitAsync(() => admin.GetOverviewAsync(Ct), o => o.Reserved == 0, TimeSpan.FromSeconds(5), "the ack");
        Assert.Equal((0L, 0L, 0L, 0L), (overview.Pending, overview.Reserved, overview.Delayed, overview.Failed));
        Assert.False(await admin.RetryAsync(job, Ct));
    }

    [Theory]
    [InlineData("this is not JSON", "(unreadable)", "The envelope is not valid job JSON")]
    [InlineData("""{"id":"x","queue":"default"}""", "(unreadable)", "missing required properties")]
    [InlineData(
        """{"id":"x","type":"no:such-job","queue":"default","payload":{},"enqueuedAt":"2026-11-22T10:00:00Z","availableAt":"2026-11-22T10:00:00Z"}""",
        "no:such-job",
        "Unknown job type 'no:such-job'")]
    [InlineData(
        """{"id":"x","type":"test:recorded","queue":"default","payload":""" +
            """{"label":42},"enqueuedAt":"2026-11-22T10:00:00Z","availableAt":"2026-11-22T10:00:00Z"}""",
        "test:recorded",
        "The payload does not fit job type 'test:recorded'")]
    public async Task A_bad_envelope_goes_straight_to_failed_jobs_with_the_reason_and_the_worker_carries_on(string envelope, string type, string reason)
    {
        await using var worker = await StartWorkerAsync("worker-bad-input");
        var admin = worker.Services.GetRequiredService<QueueAdminService>();
        var jobId = Guid.NewGuid().ToString("N");

        await worker.Services.GetRequiredService<RedisJobQueue>().PushAsync(QueueOptions.DefaultQueue, jobId, envelope, DateTimeOffset.UtcNow, null, Ct);
        var failed = await Eventually.WaitAsync(() => admin.FindFailedAsync(jobId, Ct), f => f is not null, TimeSpan.FromSeconds(20), "the bad envelope in failed_jobs");

        Assert.Equal((1, type, envelope), (failed!.Attempts, failed.JobType, failed.Payload));
        Assert.Contains(reason, failed.Exception, StringComparison.Ordinal);
        _recorder.Fixed = true;
        var good = await DispatchAsync(worker, new RecordedJob("after-bad-input"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(good)), done => done, TimeSpan.FromSeconds(20), "a good job after the bad one");
    }

    [Fact]
    public async Task An_idle_worker_takes_a_new_job_at_once_not_at_its_next_poll()
    {
        _recorder.Fixed = true;
        // A poll far longer than the test's bound: only the push's announcement can wake the worker in time.
        var worker = await StartWorkerAsync("worker-wake", s => s["Queue:PollInterval"] = "00:00:30");
        var first = await DispatchAsync(worker, new RecordedJob("wake-first"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(first)), done => done, TimeSpan.FromSeconds(20), "the first job");
        // Idle now: its waits double from 5 ms towards the 30 s poll (5.1 s in, it starts one of 5.1 s). Nothing outside
        // the worker shows where it is in them, so the test lets time pass: 6 s in, a poll alone would find the next job
        // no sooner than 4 s later.
        await Task.Delay(TimeSpan.FromSeconds(6), Ct);

        var clock = Stopwatch.StartNew();
        var second = await DispatchAsync(worker, new RecordedJob("wake-second"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(second)), done => done, TimeSpan.FromSeconds(10), "the second job");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the idle worker took {clock.Elapsed} to run a new job");
    }

    [Fact]
    public async Task A_delayed_job_does_not_run_before_its_time()
    {
        _recorder.Fixed = true;
        await using var worker = await StartWorkerAsync("worker-delayed");

        var dispatchedAt = DateTimeOffset.UtcNow;
        var job = (await worker.Services.GetRequiredService<JobDispatcher>().DispatchAsync(new RecordedJob("delayed"), new DispatchOptions { Delay = TimeSpan.FromSeconds(1.5) }, Ct)).JobId;
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(job)), done => done, TimeSpan.FromSeconds(20), "the delayed job to run");

        Assert.True(_recorder.FirstRunAt(job) >= dispatchedAt + TimeSpan.FromSeconds(1.5), $"ran at {_recorder.FirstRunAt(job):O}, dispatched at {dispatchedAt:O}");
    }

    [Fact]
    public async Task The_handler_span_continues_the_trace_of_the_dispatching_request()
    {
        _recorder.Fixed = true;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is QueueTelemetry.Name or "SecondServer.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var requests = new ActivitySource("SecondServer.Tests");
        await using var worker = await StartWorkerAsync("worker-traced");

        string job;
        ActivityContext request;
        using (var activity = requests.StartActivity("POST /api/something", ActivityKind.Server)!)
        {
            request = activity.Context;
            job = await DispatchAsync(worker, new RecordedJob("traced"));
        }

        var spans = await Eventually.WaitAsync(
            () => Task.FromResult(stopped.Where(a => (string?)a.GetTagItem("messaging.message.id") == job).ToList()),
            s => s.Count == 2, TimeSpan.FromSeconds(20), "the publish and process spans");

        var publish = spans.Single(s => s.Kind == ActivityKind.Producer);
        var process = spans.Single(s => s.Kind == ActivityKind.Consumer);
        Assert.Equal((request.TraceId, request.SpanId), (publish.TraceId, publish.ParentSpanId));
        Assert.Equal((request.TraceId, publish.SpanId), (process.TraceId, process.ParentSpanId));
        Assert.Equal("process test:recorded", process.DisplayName);
    }

    [Fact]
    public async Task Redis_down_refuses_dispatches_and_workers_resume_by_themselves_when_it_returns()
    {
        _recorder.Fixed = true;
        var password = Guid.NewGuid().ToString("N");
        await using var redis = await ServerContainer.StartRedisAsync(password);
        await using var worker = await StartWorkerAsync("worker-outage", s => s["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port},password={password}");
        var before = await DispatchAsync(worker, new RecordedJob("before-outage"));
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(before)), done => done, TimeSpan.FromSeconds(20), "a job before the outage");

        await redis.StopAsync();
        await Assert.ThrowsAsync<QueueUnavailableException>(() => DispatchAsync(worker, new RecordedJob("during-outage")));
        await Assert.ThrowsAsync<QueueUnavailableException>(() => worker.Services.GetRequiredService<ReportService>().RequestAsync(null, Ct));
        Assert.Equal(0, await ScalarAsync<int>("SELECT COUNT(*) FROM reports"));

        await redis.StartAsync();
        var after = await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    return await DispatchAsync(worker, new RecordedJob("after-outage"));
                }
                catch (QueueUnavailableException)
                {
                    return null;
                }
            },
            id => id is not null, TimeSpan.FromSeconds(20), "Redis to take dispatches again");
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(after!)), done => done, TimeSpan.FromSeconds(20), "the worker to resume");
    }

    [Fact]
    public async Task A_job_whose_database_is_down_is_kept_not_lost_and_runs_once_MySQL_is_back()
    {
        var direct = new MySqlConnectionStringBuilder(_cluster.Database.ConnectionString);
        await using var gate = TcpGate.OpenTo(direct.Server, (int)direct.Port);
        await using var worker = await StartWorkerAsync("worker-mysql-down", s =>
        {
            s["ConnectionStrings:appdb"] = new MySqlConnectionStringBuilder(_cluster.Database.ConnectionString) { Port = (uint)gate.Port }.ConnectionString;
            // One attempt: the first failure is already final, and recording it in failed_jobs needs MySQL too.
            s["Queue:MaxAttempts"] = "1";
        });
        var queue = worker.Services.GetRequiredService<RedisJobQueue>();

        gate.Close();
        var job = (await worker.Services.GetRequiredService<JobDispatcher>().DispatchAsync(new QueueProbeJob("mysql-down", 0), null, Ct)).JobId;
        await Eventually.WaitAsync(() => queue.CountAsync(QueueOptions.DefaultQueue, Ct), c => c.Delayed == 1, TimeSpan.FromSeconds(20), "the failed job to wait for another try");
        gate.Open();

        var attempts = await Eventually.WaitAsync(
            () => QueryAsync<int>("SELECT attempt FROM queue_probe_runs WHERE job_id = @job AND finished_at IS NOT NULL", new { job }),
            runs => runs.Count > 0, TimeSpan.FromSeconds(30), "the job to run once MySQL is back");

        Assert.Equal([1], attempts);
        Assert.Empty(await QueryAsync<string>("SELECT job_id FROM failed_jobs", null));
        await Eventually.WaitAsync(() => queue.CountAsync(QueueOptions.DefaultQueue, Ct), c => c is { Pending: 0, Reserved: 0, Delayed: 0 }, TimeSpan.FromSeconds(10), "an empty queue");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Fast polls and retries, and workers that run <see cref="RecordedJob"/> (three attempts) for <paramref name="recorder"/>.</summary>
    internal static void RecordedJobs(TestClusterOptions options, Recorder recorder)
    {
        options.Settings["Queue:PollInterval"] = "00:00:00.050";
        options.Settings["Queue:RetryDelay"] = "00:00:00.050";
        options.Settings["Queue:MaxRetryDelay"] = "00:00:00.200";
        options.ConfigureWorker = builder => builder.Services
            .AddSingleton(recorder)
            .AddJob<RecordedJob, RecordedJob.Handler>(job => job.MaxAttempts = 3);
    }

    private Task<TestHost> StartWorkerAsync(string instanceId, Action<Dictionary<string, string?>>? settings = null) =>
        _cluster.StartWorkerAsync(instanceId, Ct, settings, wait: HostWait.Migrated);

    private static async Task<string> DispatchAsync(TestHost host, RecordedJob job) =>
        (await host.Services.GetRequiredService<JobDispatcher>().DispatchAsync(job, null, Ct)).JobId;

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, cancellationToken: Ct)))!;
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? args)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(Ct);
        return [.. await connection.QueryAsync<T>(new CommandDefinition(sql, args, cancellationToken: Ct))];
    }

    /// <summary>What the test job's handler saw, shared with the test through DI.</summary>
    internal sealed class Recorder
    {
        private readonly ConcurrentQueue<(string JobId, int Attempt, DateTimeOffset At, bool Succeeded)> _runs = new();

        public volatile bool Fixed;

        public void Add(string jobId, int attempt, bool succeeded) => _runs.Enqueue((jobId, attempt, DateTimeOffset.UtcNow, succeeded));

        public IReadOnlyList<int> Attempts(string jobId) => [.. _runs.Where(r => r.JobId == jobId).Select(r => r.Attempt)];

        public bool Succeeded(string jobId) => _runs.Any(r => r.JobId == jobId && r.Succeeded);

        public DateTimeOffset FirstRunAt(string jobId) => _runs.First(r => r.JobId == jobId).At;

        /// <summary>The jobs that succeeded, the latest first.</summary>
        public IReadOnlyList<string> SucceededLatestFirst() => [.. _runs.Where(r => r.Succeeded).OrderByDescending(r => r.At).Select(r => r.JobId)];
    }
}

/// <summary>A test job that fails until the test fixes it, and records every run.</summary>
internal sealed record RecordedJob(string Label) : IJob
{
    public static string JobType => "test:recorded";

    internal sealed class Handler(QueueWorkerTests.Recorder recorder) : IJobHandler<RecordedJob>
    {
        public Task HandleAsync(RecordedJob job, JobContext context, CancellationToken cancellationToken)
        {
            var succeeded = recorder.Fixed;
            recorder.Add(context.JobId, context.Attempt, succeeded);
            return succeeded ? Task.CompletedTask : throw new InvalidOperationException($"{job.Label} is broken");
        }
    }
}
