using System.Globalization;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// One reservation: the job's envelope, held by one worker until its deadline unless renewed. Its
/// <see cref="Member"/> (<c>jobId|token</c>) identifies this delivery in the reserved set, unique per delivery.
/// </summary>
internal sealed record Reservation(string Queue, string Member, string JobId, int Attempts, string Envelope);

/// <summary>A queue's size right now, and how many jobs it finished per second over the last minute.</summary>
internal sealed record QueueCounts(string Queue, long Pending, long Reserved, long Delayed, double JobsPerSecond);

/// <summary>A finished reservation to settle: its unique lock, and what its run was (null: not counted, not listed).</summary>
internal sealed record Settlement(string Member, string? UniqueKey, int Attempts = 0, JobRun? Run = null);

/// <summary>A unique job's lock: the key and how long it may live.</summary>
internal sealed record UniqueLock(string Key, TimeSpan Ttl);

/// <summary>
/// The queue's storage in Redis: Laravel's layout (a pending list, a delayed and a reserved sorted set per queue,
/// each step one atomic Lua script), with the two holes Laravel leaves closed.
/// </summary>
/// <remarks>
/// <para>Why lists and sorted sets, not Streams: delays need a sorted set plus a mover anyway; XACK succeeds for a
/// consumer that has already lost its entry to XAUTOCLAIM, so a stale worker could acknowledge work it no longer
/// owns; and streams keep acknowledged entries until trimmed. One consumer group is all a job queue needs, which is
/// where streams would pay off.</para>
/// <para>Laravel's holes, closed here: (1) a reservation is identified by the job's id plus a per-delivery token,
/// not by the full payload, and every ack, release and renewal is compare-checked against it, so a worker whose
/// reservation expired and was handed to another one is refused instead of silently deleting the other's job;
/// (2) a running job's worker renews the deadline (heartbeat), so a job running longer than the visibility timeout
/// is not delivered a second time.</para>
/// <para>Keys (all under the app's key prefix): <c>queues:Q</c> pending ids (LIST, FIFO), <c>queues:Q:delayed</c>
/// ids by available-at (ZSET), <c>queues:Q:reserved</c> <c>id|token</c> by deadline (ZSET), <c>queues:Q:jobs</c>
/// envelopes by id (HASH), <c>queues:Q:attempts</c> deliveries by id (HASH), <c>queues:Q:processed:S</c> jobs done
/// in second S, <c>queues:Q:metrics:M</c> per-type counters of minute M (HASH, see <see cref="QueueMetrics"/>),
/// <c>queues:recent:P</c> the newest jobs process P finished (LIST, see <see cref="RecentRuns"/>),
/// <c>queues:recent-lists</c> those lists by when each was last written (ZSET), <c>queues:attempt-log:ID</c> a
/// job's retried attempts (LIST), <c>queues:paused</c> paused queues (SET), <c>queues</c> every queue ever used (SET),
/// <c>unique-jobs:TYPE:ID</c> uniqueness locks. The newer keys are only added to: a previous release ignores them.
/// Every key reaches the scripts through KEYS, so the key prefix applies to all of them. Times are the caller's
/// clock in Unix milliseconds: servers must keep their clocks in sync (NTP), far within the visibility timeout.</para>
/// <para>Needs Redis 6.2 or later (LPOP with a count, ZMSCORE). A single Redis (or a primary with replicas) is
/// assumed; on Redis Cluster these keys would need hash tags.</para>
/// </remarks>
internal sealed class RedisJobQueue(RedisConnection redis, TimeProvider time)
{
    /// <summary>How much of a job's envelope its newest-jobs entry keeps.</summary>
    private const int EnvelopeKept = 16384;

    /// <summary>How many due or expired jobs one reservation moves back to pending at most.</summary>
    private const int MigrateLimit = 1000;

    private static readonly TimeSpan CounterLifetime = TimeSpan.FromMinutes(2);

    // Channels are not keys: the application's key prefix is added by hand.
    private RedisChannel PushedChannel => RedisChannel.Literal(redis.KeyPrefix + "queues:pushed");

    // KEYS: pending, delayed, jobs, known queues, [unique lock]. ARGV: id, envelope, queue, availableAt, now, unique ttl,
    // pushed channel. A push that makes a pending list non-empty announces it, so idle workers reserve at once.
    private const string PushScript = """
        if #KEYS > 4 and not redis.call('SET', KEYS[5], ARGV[1], 'NX', 'PX', ARGV[6]) then
          return {0, redis.call('GET', KEYS[5])}
        end
        if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then
          return {0, ARGV[1]}
        end
        redis.call('SADD', KEYS[4], ARGV[3])
        if tonumber(ARGV[4]) > tonumber(ARGV[5]) then
          redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
        elseif redis.call('RPUSH', KEYS[1], ARGV[1]) == 1 then
          redis.call('PUBLISH', ARGV[7], ARGV[3])
        end
        return {1, ARGV[1]}
        """;

    // KEYS: pending, reserved, delayed, jobs, attempts, paused queues. ARGV: now, deadline, count, token prefix,
    // migrate limit, queue. A paused queue gives nothing, checked in the same call, so a pause holds from the next
    // reservation of every worker on. Due delayed jobs and expired reservations go to the tail first (as in Laravel), then up to count ids are
    // reserved; an id whose envelope is gone (deleted meanwhile) is dropped. Each step is one command for the
    // whole batch, so a reservation costs Redis about the same for one job as for hundreds.
    private const string ReserveScript = """
        if redis.call('SISMEMBER', KEYS[6], ARGV[6]) == 1 then return {} end
        local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, ARGV[5])
        if #due > 0 then
          redis.call('ZREM', KEYS[3], unpack(due))
          redis.call('RPUSH', KEYS[1], unpack(due))
        end
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[5])
        if #expired > 0 then
          redis.call('ZREM', KEYS[2], unpack(expired))
          for i = 1, #expired do expired[i] = string.match(expired[i], '^[^|]+') end
          redis.call('RPUSH', KEYS[1], unpack(expired))
        end
        local ids = redis.call('LPOP', KEYS[1], ARGV[3])
        if not ids then return {} end
        local envelopes = redis.call('HMGET', KEYS[4], unpack(ids))
        local attempts = redis.call('HMGET', KEYS[5], unpack(ids))
        local out, counts, deadlines, gone = {}, {}, {}, {}
        for i = 1, #ids do
          if envelopes[i] then
            local member = ids[i] .. '|' .. ARGV[4] .. i
            local attempt = (tonumber(attempts[i]) or 0) + 1
            counts[#counts + 1] = ids[i]
            counts[#counts + 1] = attempt
            deadlines[#deadlines + 1] = ARGV[2]
            deadlines[#deadlines + 1] = member
            out[#out + 1] = member
            out[#out + 1] = attempt
            out[#out + 1] = envelopes[i]
          else
            gone[#gone + 1] = ids[i]
          end
        end
        if #counts > 0 then
          redis.call('HSET', KEYS[5], unpack(counts))
          redis.call('ZADD', KEYS[2], unpack(deadlines))
        end
        if #gone > 0 then redis.call('HDEL', KEYS[5], unpack(gone)) end
        return out
        """;

    // KEYS: reserved, jobs, attempts, counter, metrics, unique locks... ARGV: count it (1/0), counter ttl, metrics
    // ttl, member count n, then n pairs of member and the index of its unique lock in KEYS (0: none), then metric
    // field and increment pairs for the whole batch: per job it reads two arguments, as before the metrics, and the
    // counters cost per batch. Returns the members that were not ours any more.
    private const string CompleteScript = """
        local n = tonumber(ARGV[4])
        local members, locks = {}, {}
        for i = 1, n do
          members[i] = ARGV[3 + i * 2]
          locks[i] = tonumber(ARGV[4 + i * 2])
        end
        local deadlines = redis.call('ZMSCORE', KEYS[1], unpack(members))
        local mine, ids, refused = {}, {}, {}
        for i = 1, n do
          if deadlines[i] then
            local id = string.match(members[i], '^[^|]+')
            mine[#mine + 1] = members[i]
            ids[#ids + 1] = id
            if locks[i] > 0 and redis.call('GET', KEYS[locks[i]]) == id then redis.call('DEL', KEYS[locks[i]]) end
          else
            refused[#refused + 1] = members[i]
          end
        end
        if #mine > 0 then
          redis.call('ZREM', KEYS[1], unpack(mine))
          redis.call('HDEL', KEYS[2], unpack(ids))
          redis.call('HDEL', KEYS[3], unpack(ids))
          if ARGV[1] == '1' then
            redis.call('INCRBY', KEYS[4], #mine)
            redis.call('EXPIRE', KEYS[4], ARGV[2])
          end
          local first = 5 + n * 2
          if #ARGV > first then
            for i = first, #ARGV, 2 do redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1]) end
            redis.call('EXPIRE', KEYS[5], ARGV[3])
          end
        end
        return refused
        """;

    // KEYS: this process's newest-jobs list, the index of those lists. ARGV: now, the oldest index entry kept (both
    // Unix ms), the list's lifetime (ms), how many it keeps, its name in the index, then its new entries, oldest
    // first. Lists of processes gone quiet leave the index once their lifetime is over.
    private const string PublishRecentScript = """
        redis.call('LPUSH', KEYS[1], unpack(ARGV, 6))
        redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[1], ARGV[5])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
        return 1
        """;

    // KEYS: reserved, delayed, pending, attempts. ARGV: available at (0: back to the head of pending, in the given
    // order), refund the attempt (1/0), members... Returns the members that were not ours any more.
    private const string ReleaseScript = """
        local refused = {}
        local back = {}
        for i = 3, #ARGV do
          if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
            local id = string.match(ARGV[i], '^[^|]+')
            if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[4], id, -1) end
            if ARGV[1] == '0' then back[#back + 1] = id else redis.call('ZADD', KEYS[2], ARGV[1], id) end
          else
            refused[#refused + 1] = ARGV[i]
          end
        end
        for i = #back, 1, -1 do redis.call('LPUSH', KEYS[3], back[i]) end
        return refused
        """;

    // KEYS: reserved. ARGV: new deadline, members... Only a member still present moves (XX): a reservation that
    // expired and went back to pending is not revived. Returns the members that were lost.
    private const string ExtendScript = """
        local lost = {}
        for i = 2, #ARGV do
          if redis.call('ZADD', KEYS[1], 'XX', 'CH', ARGV[1], ARGV[i]) == 0 and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
            lost[#lost + 1] = ARGV[i]
          end
        end
        return lost
        """;

    public static string UniqueKey(string type, string uniqueId) => $"unique-jobs:{type}:{uniqueId}";

    /// <summary>
    /// Calls <paramref name="pushed"/> whenever a push makes a pending list non-empty, so an idle worker reserves at once
    /// instead of at its next poll; returns what ends the subscription. A busy queue costs no messages. Pushes by
    /// earlier releases announce nothing: their jobs wait for the next poll, as they always did.
    /// </summary>
    public async Task<Func<Task>> SubscribeToPushesAsync(Action pushed)
    {
        var subscriber = redis.Multiplexer.GetSubscriber();
        Action<RedisChannel, RedisValue> handler = (_, _) => pushed();
        await subscriber.SubscribeAsync(PushedChannel, handler);
        return () => subscriber.UnsubscribeAsync(PushedChannel, handler);
    }

    /// <summary>Adds a job (to pending, or to delayed when it is not due yet); a unique job whose lock is held is not added.</summary>
    /// <returns>Whether it was added, and the job id (for a held unique lock, the holder's).</returns>
    public async Task<DispatchResult> PushAsync(string queue, string jobId, string envelope, DateTimeOffset availableAt, UniqueLock? unique, CancellationToken cancellationToken)
    {
        RedisKey[] keys = unique is null
            ? [Pending(queue), Delayed(queue), Jobs(queue), KnownQueues]
            : [Pending(queue), Delayed(queue), Jobs(queue), KnownQueues, unique.Key];
        var result = (RedisResult[])(await EvaluateAsync(PushScript, keys,
        [
            jobId, envelope, queue, availableAt.ToUnixTimeMilliseconds(), time.GetUtcNow().ToUnixTimeMilliseconds(),
            (long)Math.Max(1, (unique?.Ttl ?? TimeSpan.Zero).TotalMilliseconds), PushedChannel.ToString(),
        ], cancellationToken))!;
        return new DispatchResult((string?)result[1] ?? jobId, (long)result[0] == 1);
    }

    /// <summary>
    /// Reserves up to <paramref name="count"/> jobs until now + <paramref name="visibility"/>. The
    /// <paramref name="token"/> must be unique per call (an instance nonce and a sequence number): it makes each
    /// delivery's member unique.
    /// </summary>
    public async Task<IReadOnlyList<Reservation>> ReserveAsync(string queue, int count, TimeSpan visibility, string token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = (RedisResult[])(await EvaluateAsync(ReserveScript,
            [Pending(queue), Reserved(queue), Delayed(queue), Jobs(queue), Attempts(queue), PausedQueues],
            [now.ToUnixTimeMilliseconds(), (now + visibility).ToUnixTimeMilliseconds(), count, token, MigrateLimit, queue],
            cancellationToken))!;
        var reservations = new List<Reservation>(result.Length / 3);
        for (var i = 0; i + 2 < result.Length; i += 3)
        {
            var member = (string)result[i]!;
            reservations.Add(new Reservation(queue, member, JobIdOf(member), (int)(long)result[i + 1], (string)result[i + 2]!));
        }

        return reservations;
    }

    /// <summary>
    /// Deletes finished jobs, releasing their unique locks, compare-checked: a reservation that is no longer in the
    /// reserved set (it expired and was handed out again) is left alone and returned. In the same call successes
    /// count in the jobs-per-second figure, and every run with a <see cref="Settlement.Run"/> in its type's
    /// per-minute counters (<see cref="QueueMetrics"/>). Pass <c>succeeded</c> true for acknowledgements, false for
    /// jobs moved to failed_jobs.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompleteAsync(string queue, IReadOnlyList<Settlement> items, bool succeeded, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = new List<RedisKey> { Reserved(queue), Jobs(queue), Attempts(queue), Processed(queue, now.ToUnixTimeSeconds()), Metrics(queue, QueueMetrics.MinuteOf(now)) };
        var values = new List<RedisValue>(4 + (items.Count * 2))
        {
            succeeded ? 1 : 0, (long)CounterLifetime.TotalSeconds, (long)QueueMetrics.Lifetime.TotalSeconds, items.Count,
        };
        foreach (var item in items)
        {
            values.Add(item.Member);
            if (item.UniqueKey is null)
            {
                values.Add(0);
            }
            else
            {
                keys.Add(item.UniqueKey);
                values.Add(keys.Count);
            }
        }

        foreach (var (field, amount) in QueueMetrics.Increments(items.Where(i => i.Run is not null).Select(i => (i.Run!, succeeded))))
        {
            values.Add(field);
            values.Add(amount);
        }

        return Members(await EvaluateAsync(CompleteScript, [.. keys], [.. values], cancellationToken));
    }

    /// <summary>
    /// Adds a process's newest settled runs (oldest first) to its own newest-jobs list, each entry its JSON and,
    /// after a newline, the envelope as queued (cut at <see cref="EnvelopeKept"/> characters, so one large payload
    /// cannot bloat the list). One list per process: each keeps its newest, and <see cref="RecentAsync"/> merges.
    /// </summary>
    public async Task PublishRecentAsync(string process, IReadOnlyList<SettledRun> runs, CancellationToken cancellationToken)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var values = new List<RedisValue>(5 + runs.Count)
        {
            now.ToUnixTimeMilliseconds(), (now - QueueMetrics.Lifetime).ToUnixTimeMilliseconds(), (long)QueueMetrics.Lifetime.TotalMilliseconds, QueueMetrics.RecentKept, process,
        };
        foreach (var run in runs)
        {
            var (reservation, envelope) = (run.Reservation, run.Reservation.Envelope);
            var entry = Entry(reservation.Queue, new Settlement(reservation.Member, null, reservation.Attempts, run.Run), run.Run, run.State);
            values.Add(entry.Serialize() + "\n" + (envelope.Length > EnvelopeKept ? envelope[..EnvelopeKept] : envelope));
        }

        await EvaluateAsync(PublishRecentScript, [RecentList(process), RecentLists], [.. values], cancellationToken);
    }

    /// <summary>Keeps a failed attempt that will be tried again, for the job's detail view (for <see cref="QueueMetrics.Lifetime"/>).</summary>
    public Task RecordAttemptAsync(string queue, Settlement item, CancellationToken cancellationToken) =>
        item.Run is not { } run
            ? Task.CompletedTask
            : RunAsync(async database =>
            {
                var key = AttemptLog(JobIdOf(item.Member));
                var batch = database.CreateBatch();
                var push = batch.ListRightPushAsync(key, Entry(queue, item, run, "retried").Serialize());
                var expire = batch.KeyExpireAsync(key, QueueMetrics.Lifetime);
                batch.Execute();
                await Task.WhenAll(push, expire);
                return true;
            }, cancellationToken);

    /// <summary>A job's earlier attempts that failed and were retried, oldest first.</summary>
    public async Task<IReadOnlyList<FinishedJob>> AttemptsAsync(string jobId, CancellationToken cancellationToken) =>
        await RunAsync(async database => Parse(await database.ListRangeAsync(AttemptLog(jobId))), cancellationToken);

    /// <summary>The newest finished jobs of every queue and process, newest (by when they finished) first.</summary>
    public async Task<IReadOnlyList<FinishedJob>> RecentAsync(CancellationToken cancellationToken) =>
        await RunAsync(async database =>
        {
            var since = (time.GetUtcNow() - QueueMetrics.Lifetime).ToUnixTimeMilliseconds();
            var processes = await database.SortedSetRangeByScoreAsync(RecentLists, since);
            var lists = await Task.WhenAll(processes.Select(p => database.ListRangeAsync(RecentList(p!), 0, QueueMetrics.RecentKept - 1)));
            return (IReadOnlyList<FinishedJob>)[.. lists.SelectMany(Parse)
                .OrderByDescending(j => j.StartedAt.AddMilliseconds(j.DurationMs))
                .Take(QueueMetrics.RecentKept)];
        }, cancellationToken);

    /// <summary>One queue's per-minute counters from <paramref name="fromMinute"/> to <paramref name="toMinute"/> (Unix minutes), one pipelined read.</summary>
    public async Task<IReadOnlyList<Dictionary<string, TypeFigures>>> MinutesAsync(string queue, long fromMinute, long toMinute, CancellationToken cancellationToken) =>
        await RunAsync(async database =>
        {
            var batch = database.CreateBatch();
            var reads = new List<Task<HashEntry[]>>();
            for (var minute = fromMinute; minute <= toMinute; minute++)
            {
                reads.Add(batch.HashGetAllAsync(Metrics(queue, minute)));
            }

            batch.Execute();
            var minutes = await Task.WhenAll(reads);
            return minutes.Select(m => QueueMetrics.Parse(m.Select(e => new KeyValuePair<string, long>(e.Name!, (long)e.Value)))).ToList();
        }, cancellationToken);

    /// <summary>Stops every worker reserving from the queue (from its next reservation on); its jobs stay queued.</summary>
    /// <returns>False when it was paused already.</returns>
    public Task<bool> PauseAsync(string queue, CancellationToken cancellationToken) =>
        RunAsync(database => database.SetAddAsync(PausedQueues, queue), cancellationToken);

    /// <returns>False when it was not paused.</returns>
    public Task<bool> ResumeAsync(string queue, CancellationToken cancellationToken) =>
        RunAsync(database => database.SetRemoveAsync(PausedQueues, queue), cancellationToken);

    public async Task<IReadOnlySet<string>> PausedAsync(CancellationToken cancellationToken) =>
        await RunAsync(async database => (await database.SetMembersAsync(PausedQueues)).Select(v => (string)v!).ToHashSet(StringComparer.Ordinal), cancellationToken);

    /// <summary>
    /// Gives reservations back, compare-checked: to the head of pending when <paramref name="availableAt"/> is null
    /// (jobs never started), else to delayed until then (retries). Returns the members that were not ours any more.
    /// <paramref name="refundAttempt"/> takes back the attempt the reservation counted (the job never ran, or met a
    /// failure of ours rather than of its own).
    /// </summary>
    public async Task<IReadOnlyList<string>> ReleaseAsync(string queue, IReadOnlyList<string> members, DateTimeOffset? availableAt, bool refundAttempt, CancellationToken cancellationToken)
    {
        var values = new List<RedisValue>(members.Count + 2) { availableAt?.ToUnixTimeMilliseconds() ?? 0, refundAttempt ? 1 : 0 };
        values.AddRange(members.Select(m => (RedisValue)m));
        return Members(await EvaluateAsync(ReleaseScript, [Reserved(queue), Delayed(queue), Pending(queue), Attempts(queue)], [.. values], cancellationToken));
    }

    /// <summary>Moves the deadlines of reservations still held to now + <paramref name="visibility"/>; returns those that were lost.</summary>
    public async Task<IReadOnlyList<string>> ExtendAsync(string queue, IReadOnlyList<string> members, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var values = new List<RedisValue>(members.Count + 1) { (time.GetUtcNow() + visibility).ToUnixTimeMilliseconds() };
        values.AddRange(members.Select(m => (RedisValue)m));
        return Members(await EvaluateAsync(ExtendScript, [Reserved(queue)], [.. values], cancellationToken));
    }

    public async Task<QueueCounts> CountAsync(string queue, CancellationToken cancellationToken)
    {
        var last = time.GetUtcNow().ToUnixTimeSeconds() - 1;
        var seconds = (int)(CounterLifetime.TotalSeconds / 2);
        var counters = Enumerable.Range(0, seconds).Select(i => (RedisKey)Processed(queue, last - i)).ToArray();
        return await RunAsync(async database =>
        {
            var pending = database.ListLengthAsync(Pending(queue));
            var reserved = database.SortedSetLengthAsync(Reserved(queue));
            var delayed = database.SortedSetLengthAsync(Delayed(queue));
            var processed = database.StringGetAsync(counters);
            await Task.WhenAll(pending, reserved, delayed, processed);
            var done = (await processed).Sum(v => v.HasValue ? (long)v : 0);
            return new QueueCounts(queue, await pending, await reserved, await delayed, (double)done / seconds);
        }, cancellationToken);
    }

    /// <summary>Every queue a job was ever pushed to.</summary>
    public async Task<IReadOnlyList<string>> KnownQueuesAsync(CancellationToken cancellationToken) =>
        await RunAsync(async database => (await database.SetMembersAsync(KnownQueues)).Select(v => (string)v!).ToList(), cancellationToken);

    public static string JobIdOf(string member) => member[..member.IndexOf('|', StringComparison.Ordinal)];

    private static string KnownQueues => "queues";

    private static string PausedQueues => "queues:paused";

    private static string RecentLists => "queues:recent-lists";

    private static string RecentList(string process) => $"queues:recent:{process}";

    private static string AttemptLog(string jobId) => $"queues:attempt-log:{jobId}";

    private static string Metrics(string queue, long minute) => $"queues:{queue}:metrics:{minute.ToString(CultureInfo.InvariantCulture)}";

    private static string Pending(string queue) => $"queues:{queue}";

    private static string Reserved(string queue) => $"queues:{queue}:reserved";

    private static string Delayed(string queue) => $"queues:{queue}:delayed";

    private static string Jobs(string queue) => $"queues:{queue}:jobs";

    private static string Attempts(string queue) => $"queues:{queue}:attempts";

    private static string Processed(string queue, long second) => $"queues:{queue}:processed:{second.ToString(CultureInfo.InvariantCulture)}";

    private static FinishedJob Entry(string queue, Settlement item, JobRun run, string state) => new()
    {
        Id = JobIdOf(item.Member),
        Type = run.Type,
        Queue = queue,
        State = state,
        Attempts = item.Attempts,
        StartedAt = run.StartedAt,
        DurationMs = Math.Round(run.Duration.TotalMilliseconds, 1),
        Instance = run.Instance,
        Error = run.Error,
    };

    private static List<FinishedJob> Parse(RedisValue[] values) =>
        [.. values.Select(v => FinishedJob.TryParse(v!)).OfType<FinishedJob>()];

    private static IReadOnlyList<string> Members(RedisResult result) => ((RedisResult[])result!).Select(r => (string)r!).ToList();

    // A script that changes state is never abandoned half-way through the wait: the token only bounds getting a
    // connection. Otherwise a reservation made after the caller gave up would sit unseen until it expired.
    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken) =>
        RunAsync(database => database.ScriptEvaluateAsync(script, keys, values), cancellationToken);

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        try
        {
            return await command(redis.Database);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException
            || (ex is RedisServerException && (ex.Message.StartsWith("LOADING", StringComparison.Ordinal) || ex.Message.StartsWith("NOAUTH", StringComparison.Ordinal))))
        {
            throw new QueueUnavailableException($"The job queue in Redis at {redis.Endpoint} is unavailable: {ex.Message}", ex);
        }
    }
}
