using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Application.QueueProbe;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Queue;

/// <summary>
/// Real Worker processes, killed and stopped for real, consuming jobs a Web host dispatched. They run the queue
/// probe job (shipped in Application), and its rows in queue_probe_runs tell which process ran which delivery, and
/// when. Jobs that must be caught running wait on a gate the test opens, never on a guessed duration.
/// </summary>
public sealed class WorkerProcessTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    // The web host applies the migrations before any worker starts, as a deploy's migrate step would.
    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 0, o =>
    {
        o.Name = "dispatch";
        o.Settings["Queue:PollInterval"] = "00:00:00.050";
        o.Settings["Queue:VisibilityTimeout"] = "00:00:02";
    }, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_worker_killed_mid_job_has_the_job_delivered_again_after_its_deadline_and_done_once()
    {
        _cluster.Settings["Queue:Concurrency"] = "1";
        _cluster.Settings["Queue:Prefetch"] = "0";
        await using var first = await WorkerProcess.StartAsync("worker-killed", _cluster.Settings);
        var job = await DispatchAsync("killed", gated: true);
        // The kill lands while the job runs: it is seen started, and it cannot end before the gate opens.
        await WaitForRunsAsync("killed", runs => runs.Count == 1, "the first worker to start the job");

        await first.KillAsync();
        await using var second = await WorkerProcess.StartAsync("worker-survivor", _cluster.Settings);
        await OpenGateAsync("killed");
        var runs = await WaitForRunsAsync("killed", runs => runs.Any(r => r.FinishedAt is not null), "the job to finish elsewhere");

        Assert.Collection(runs.OrderBy(r => r.Attempt),
            killed => Assert.Equal((job, 1, "worker-killed", false), (killed.JobId, killed.Attempt, killed.Instance, killed.FinishedAt is not null)),
            redelivered => Assert.Equal((job, 2, "worker-survivor", true), (redelivered.JobId, redelivered.Attempt, redelivered.Instance, redelivered.FinishedAt is not null)));
        await WaitForEmptyQueueAsync();
        Assert.Equal(2, (await RunsAsync("killed")).Count);
        Assert.Null(await FailedJobsAsync().FindAsync(job, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Two_workers_share_200_jobs_and_each_job_runs_exactly_once()
    {
        _cluster.Settings["Queue:Concurrency"] = "4";
        _cluster.Settings["Queue:Prefetch"] = "4";
        _cluster.Settings["Queue:BatchSize"] = "4";
        await using var a = await WorkerProcess.StartAsync("worker-a", _cluster.Settings);
        await using var b = await WorkerProcess.StartAsync("worker-b", _cluster.Settings);

        var jobs = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            jobs.Add(await DispatchAsync("shared", workMilliseconds: 20));
        }

        var runs = await WaitForRunsAsync("shared", runs => runs.Count(r => r.FinishedAt is not null) >= 200, "200 jobs to finish", TimeSpan.FromSeconds(60));

        Assert.Equal(jobs.Order(StringComparer.Ordinal), runs.Select(r => r.JobId).Order(StringComparer.Ordinal));
        Assert.All(runs, r => Assert.Equal(1, r.Attempt));
        Assert.Equal(["worker-a", "worker-b"], runs.Select(r => r.Instance).Distinct().Order(StringComparer.Ordinal));
        await WaitForEmptyQueueAsync();
    }

    [Fact]
    public async Task A_job_running_longer_than_the_visibility_timeout_renews_its_reservation_and_is_not_delivered_again()
    {
        // The class's visibility timeout is 2 s; the job runs two and a half of them.
        await using var a = await WorkerProcess.StartAsync("worker-long-a", _cluster.Settings);
        await using var b = await WorkerProcess.StartAsync("worker-long-b", _cluster.Settings);

        var job = await DispatchAsync("long", workMilliseconds: 5000);
        var runs = await WaitForRunsAsync("long", runs => runs.Any(r => r.FinishedAt is not null), "the long job to finish");

        var run = Assert.Single(runs);
        Assert.Equal((job, 1), (run.JobId, run.Attempt));
        Assert.True(run.FinishedAt - run.StartedAt >= TimeSpan.FromSeconds(5));
        await WaitForEmptyQueueAsync();
    }

    [Fact]
    public async Task SIGTERM_lets_the_job_in_hand_finish_and_puts_the_buffered_ones_back_untouched()
    {
        _cluster.Settings["Queue:Concurrency"] = "1";
        _cluster.Settings["Queue:Prefetch"] = "2";
        _cluster.Settings["Shutdown:Timeout"] = "00:05:00";
        await using var stopping = await WorkerProcess.StartAsync("worker-stopping", _cluster.Settings);
        var jobs = new[] { await DispatchAsync("graceful", gated: true), await DispatchAsync("graceful", gated: true), await DispatchAsync("graceful", gated: true) };
        await WaitForRunsAsync("graceful", runs => runs.Count == 1, "the first job to start");
        await Eventually.WaitAsync(() => CountAsync(), c => c.Reserved == 3, TimeSpan.FromSeconds(10), "the other two to be buffered");

        // The job in hand is still held by its gate when the worker learns it must stop; only then may it finish.
        await stopping.TerminateAsync();
        await Eventually.WaitAsync(stopping.ReadinessAsync, s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "the worker to begin stopping");
        Assert.Single(await RunsAsync("graceful"));
        await OpenGateAsync("graceful");
        var exitCode = await stopping.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exitCode);
        var finished = Assert.Single(await RunsAsync("graceful"));
        Assert.Equal((jobs[0], true), (finished.JobId, finished.FinishedAt is not null));
        Assert.Equal((2, 0), ((await CountAsync()).Pending, (await CountAsync()).Reserved));

        await using var next = await WorkerProcess.StartAsync("worker-next", _cluster.Settings);
        var runs = await WaitForRunsAsync("graceful", runs => runs.Count(r => r.FinishedAt is not null) == 3, "the released jobs to run");
        Assert.All(runs, r => Assert.Equal(1, r.Attempt));
        Assert.Equal(jobs.Order(StringComparer.Ordinal), runs.Select(r => r.JobId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SIGTERM_releases_a_job_that_outlasts_the_stop_timeout()
    {
        _cluster.Settings["Queue:Concurrency"] = "1";
        _cluster.Settings["Shutdown:Timeout"] = "00:00:01";
        await using var stopping = await WorkerProcess.StartAsync("worker-timeout", _cluster.Settings);
        // A gate nobody opens: the job outlasts any stop timeout.
        var job = await DispatchAsync("outlasting", gated: true);
        await WaitForRunsAsync("outlasting", runs => runs.Count == 1, "the job to start");

        var exitCode = await stopping.TerminateAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
        Assert.Null(Assert.Single(await RunsAsync("outlasting")).FinishedAt);
        Assert.Equal((1L, 0L), ((await CountAsync()).Pending, (await CountAsync()).Reserved));
        Assert.Contains("cancelling them and releasing them", stopping.Output, StringComparison.Ordinal);
        Assert.Null(await FailedJobsAsync().FindAsync(job, TestContext.Current.CancellationToken));
    }

    // A gated job, once it has worked its milliseconds, waits until OpenGateAsync opens the gate named by its label.
    private async Task<string> DispatchAsync(string label, int workMilliseconds = 0, bool gated = false) =>
        (await _cluster.Web().Services.GetRequiredService<JobDispatcher>()
            .DispatchAsync(new QueueProbeJob(label, workMilliseconds, gated ? label : null), null, TestContext.Current.CancellationToken)).JobId;

    private Task OpenGateAsync(string label) =>
        _cluster.Web().Services.GetRequiredService<RedisConnection>().Database.StringSetAsync(QueueProbeJob.GateKey(label), "open", TimeSpan.FromHours(1));

    private FailedJobStore FailedJobsAsync() => _cluster.Web().Services.GetRequiredService<FailedJobStore>();

    private Task<QueueCounts> CountAsync() =>
        _cluster.Web().Services.GetRequiredService<RedisJobQueue>().CountAsync(QueueOptions.DefaultQueue, TestContext.Current.CancellationToken);

    private Task WaitForEmptyQueueAsync() =>
        Eventually.WaitAsync(CountAsync, c => c is { Pending: 0, Reserved: 0, Delayed: 0 }, TimeSpan.FromSeconds(10), "an empty queue");

    private Task<IReadOnlyList<ProbeRun>> WaitForRunsAsync(string label, Func<IReadOnlyList<ProbeRun>, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => RunsAsync(label), done, timeout ?? TimeSpan.FromSeconds(30), what);

    private async Task<IReadOnlyList<ProbeRun>> RunsAsync(string label)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<ProbeRun>(new CommandDefinition(
            "SELECT job_id AS JobId, attempt AS Attempt, instance AS Instance, started_at AS StartedAt, finished_at AS FinishedAt FROM queue_probe_runs WHERE label = @label ORDER BY id",
            new { label }, cancellationToken: TestContext.Current.CancellationToken))];
    }

    private sealed record ProbeRun(string JobId, int Attempt, string Instance, DateTime StartedAt, DateTime? FinishedAt)
    {
        public override string ToString() => $"{JobId}#{Attempt}@{Instance} {StartedAt:HH:mm:ss.fff}-{FinishedAt:HH:mm:ss.fff}";
    }
}
