using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Queue;

/// <summary>
/// The queue's Redis scripts against a real Redis, on a clock the test moves: deadlines, delays, fencing and
/// uniqueness decided exactly, without waiting for real time.
/// </summary>
public sealed class RedisJobQueueTests : IAsyncLifetime
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly TestRedis _redisHost = TestRedis.Connect(TestEnvironment.Redis, TestEnvironment.NewName("t") + ":");

    private RedisJobQueue _queue = null!;
    private JobDispatcher _dispatcher = null!;
    private int _calls;

    public ValueTask InitializeAsync()
    {
        _queue = new RedisJobQueue(_redisHost.Connection, _time);
        var registrations = new ServiceCollection()
            .AddJob<UniqueTestJob, UniqueTestJob.Handler>(job => job.UniqueFor = TimeSpan.FromMilliseconds(500))
            .BuildServiceProvider().GetServices<JobRegistration>();
        _dispatcher = new JobDispatcher(_queue, new JobRegistry(registrations, Options.Create(new QueueOptions())), _time);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _redisHost.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Jobs_come_out_in_order_and_in_batches_with_their_first_attempt()
    {
        foreach (var id in new[] { "a", "b", "c" })
        {
            await PushAsync(id);
        }

        var first = await ReserveAsync(2);
        var second = await ReserveAsync(2);

        Assert.Equal(["a", "b"], first.Select(r => r.JobId));
        Assert.Equal(["c"], second.Select(r => r.JobId));
        Assert.All(first.Concat(second), r => Assert.Equal(1, r.Attempts));
        Assert.Equal("{\"job\":\"a\"}", first[0].Envelope);
        Assert.Empty(await ReserveAsync(2));
    }

    [Fact]
    public async Task A_delayed_job_is_not_reserved_before_its_time()
    {
        await PushAsync("later", _time.GetUtcNow().AddMinutes(1));

        _time.Advance(TimeSpan.FromSeconds(59.999));
        Assert.Empty(await ReserveAsync(1));
        Assert.Equal(1, (await CountAsync()).Delayed);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("later", Assert.Single(await ReserveAsync(1)).JobId);
    }

    [Fact]
    public async Task An_expired_reservation_is_delivered_again_and_the_worker_that_lost_it_is_refused()
    {
        await PushAsync("job");
        var stale = Assert.Single(await ReserveAsync(1));

        _time.Advance(Visibility + TimeSpan.FromMilliseconds(1));
        var fresh = Assert.Single(await ReserveAsync(1));

        Assert.Equal(("job", 2), (fresh.JobId, fresh.Attempts));
        Assert.NotEqual(stale.Member, fresh.Member);
        Assert.Equal([stale.Member], await _queue.ExtendAsync(Queue, [stale.Member], Visibility, Ct));
        Assert.Equal([stale.Member], await _queue.CompleteAsync(Queue, [new Settlement(stale.Member, null)], succeeded: true, Ct));
        Assert.Equal([stale.Member], await _queue.ReleaseAsync(Queue, [stale.Member], null, refundAttempt: false, Ct));
        Assert.Equal(1, (await CountAsync()).Reserved);

        Assert.Empty(await _queue.CompleteAsync(Queue, [new Settlement(fresh.Member, null)], succeeded: true, Ct));
        Assert.Equal(new QueueCounts(Queue, 0, 0, 0, 0), await CountAsync());
    }

    [Fact]
    public async Task A_renewed_reservation_is_not_delivered_again()
    {
        await PushAsync("long");
        var held = Assert.Single(await ReserveAsync(1));

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(Visibility / 2);
            Assert.Empty(await _queue.ExtendAsync(Queue, [held.Member], Visibility, Ct));
            Assert.Empty(await ReserveAsync(1));
        }

        _time.Advance(Visibility + TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, Assert.Single(await ReserveAsync(1)).Attempts);
    }

    [Fact]
    public async Task A_retry_waits_in_delayed_and_keeps_its_attempt_count()
    {
        await PushAsync("flaky");
        var first = Assert.Single(await ReserveAsync(1));

        Assert.Empty(await _queue.ReleaseAsync(Queue, [first.Member], _time.GetUtcNow().AddSeconds(10), refundAttempt: false, Ct));
        Assert.Empty(await ReserveAsync(1));
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, Assert.Single(await ReserveAsync(1)).Attempts);
    }

    [Fact]
    public async Task Released_unstarted_jobs_go_back_to_the_head_in_order_with_their_attempt_refunded()
    {
        foreach (var id in new[] { "a", "b", "c" })
        {
            await PushAsync(id);
        }

        var held = await ReserveAsync(2);
        Assert.Empty(await _queue.ReleaseAsync(Queue, [.. held.Select(r => r.Member)], null, refundAttempt: true, Ct));

        var again = await ReserveAsync(3);
        Assert.Equal(["a", "b", "c"], again.Select(r => r.JobId));
        Assert.All(again, r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public async Task A_unique_job_is_queued_once_until_it_is_done()
    {
        var first = await _dispatcher.DispatchAsync(new UniqueTestJob("account-7"), null, Ct);
        var duplicate = await _dispatcher.DispatchAsync(new UniqueTestJob("account-7"), null, Ct);
        var other = await _dispatcher.DispatchAsync(new UniqueTestJob("account-8"), null, Ct);

        Assert.True(first.Enqueued);
        Assert.Equal(new DispatchResult(first.JobId, false), duplicate);
        Assert.True(other.Enqueued);

        var held = await ReserveAsync(2);
        var lockKey = RedisJobQueue.UniqueKey(UniqueTestJob.JobType, "account-7");
        var done = held.Single(r => r.JobId == first.JobId);
        Assert.Empty(await _queue.CompleteAsync(Queue, [new Settlement(done.Member, lockKey)], succeeded: true, Ct));

        Assert.True((await _dispatcher.DispatchAsync(new UniqueTestJob("account-7"), null, Ct)).Enqueued);
    }

    [Fact]
    public async Task A_unique_lock_expires_so_a_lost_job_never_blocks_its_successors()
    {
        var first = await _dispatcher.DispatchAsync(new UniqueTestJob("report-1"), null, Ct);
        Assert.True(first.Enqueued);

        // Redis expires the lock on its own clock (UniqueFor is 500 ms here).
        var next = await Eventually.WaitAsync(
            () => _dispatcher.DispatchAsync(new UniqueTestJob("report-1"), null, Ct),
            r => r.Enqueued, TimeSpan.FromSeconds(10), "the unique lock to expire");

        Assert.NotEqual(first.JobId, next.JobId);
    }

    [Fact]
    public async Task The_same_job_id_is_never_queued_twice()
    {
        Assert.True((await _queue.PushAsync(Queue, "same", "{}", _time.GetUtcNow(), null, Ct)).Enqueued);
        Assert.False((await _queue.PushAsync(Queue, "same", "{}", _time.GetUtcNow(), null, Ct)).Enqueued);
        Assert.Equal(1, (await CountAsync()).Pending);
    }

    [Fact]
    public async Task Finished_jobs_count_towards_jobs_per_second_over_the_last_minute()
    {
        for (var i = 0; i < 30; i++)
        {
            await PushAsync($"job-{i}");
        }

        var held = await ReserveAsync(30);
        Assert.Empty(await _queue.CompleteAsync(Queue, [.. held.Select(r => new Settlement(r.Member, null))], succeeded: true, Ct));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.5, (await CountAsync()).JobsPerSecond);
        Assert.Contains(Queue, await _queue.KnownQueuesAsync(Ct));
    }

    private static string Queue => "default";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<DispatchResult> PushAsync(string id, DateTimeOffset? availableAt = null) =>
        _queue.PushAsync(Queue, id, $$"""{"job":"{{id}}"}""", availableAt ?? _time.GetUtcNow(), null, Ct);

    private Task<IReadOnlyList<Reservation>> ReserveAsync(int count) =>
        _queue.ReserveAsync(Queue, count, Visibility, $"test.{Interlocked.Increment(ref _calls)}.", Ct);

    private Task<QueueCounts> CountAsync() => _queue.CountAsync(Queue, Ct);
}

internal sealed record UniqueTestJob(string Key) : IUniqueJob
{
    public static string JobType => "test:unique";

    public string UniqueId => Key;

    internal sealed class Handler : IJobHandler<UniqueTestJob>
    {
        public Task HandleAsync(UniqueTestJob job, JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
