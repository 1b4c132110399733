using System.Text.Json.Serialization;
using Dapper;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// What one server did with one slot; <see cref="RequestedBy"/> names who asked for a manual run, and is left out of
/// the JSON of scheduled runs, which keep the shape the API has always had.
/// </summary>
internal sealed record ScheduleRunRecord(
    string Job,
    DateTimeOffset Slot,
    string Instance,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string Status,
    string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestedBy = null);

/// <summary>The values of <c>schedule_runs.status</c>.</summary>
internal static class ScheduleRunStatus
{
    /// <summary>Started and not finished: still running, or its process died (the row then stays so).</summary>
    public const string Running = "running";
    public const string Ok = "ok";
    public const string Failed = "failed";

    /// <summary>Stopped by its token: the host stopped past its shutdown timeout, or the overlap lease was lost.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Another server claimed the slot first (OnOneServer).</summary>
    public const string SkippedOtherServer = "skipped-other-server";

    /// <summary>The previous run still held the lease (WithoutOverlapping).</summary>
    public const string SkippedOverlap = "skipped-overlap";

    /// <summary>Redis could not be asked, so the slot was not run unguarded.</summary>
    public const string SkippedUnavailable = "skipped-unavailable";

    /// <summary>The history already holds an execution of this slot although Redis let this server claim it.</summary>
    public const string SkippedAlreadyRan = "skipped-already-ran";
}

/// <summary>The <c>schedule_runs</c> table: every slot each server handled, who ran it, and how it ended.</summary>
/// <remarks>
/// Plain SQL on Dapper, not EF Core (which owns this table's schema through <see cref="ScheduleRunRow"/>): every
/// server writes a row per slot of every schedule, so this is a hot path, and the same statements through EF Core
/// cost more. Measured by <c>Tests/Integration/Data/DataAccessCostTests</c> (200 of each, interleaved, MariaDB 10.11 on
/// loopback): a run's start and finish took 1.67 ms and 42.7 KiB of allocations on EF Core against 0.95 ms and
/// 14.8 KiB here (1.76x the time, 2.9x the allocations); reading the newest 50 runs 1.04 ms and 60 KiB against
/// 0.65 ms and 28 KiB (1.6x, 2.2x).
/// </remarks>
internal sealed class ScheduleHistory(IDbConnectionFactory database, TimeProvider time)
{
    private const int MaxErrorLength = 4000;
    private const int PruneBatch = 5000;

    /// <summary>How many servers' rows per slot <see cref="QuerySlotsAsync"/> makes room for.</summary>
    private const int RowsPerSlotRead = 8;

    /// <summary>
    /// Records that <paramref name="run"/> starts. With <paramref name="onceAcrossServers"/> the row also takes the
    /// slot's unique claim; null means an execution of the slot is already recorded, and the run must not start.
    /// </summary>
    public async Task<long?> StartAsync(ScheduledRun run, bool onceAcrossServers, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO schedule_runs (job, slot, instance, started_at, status, claimed_slot, requested_by)
                VALUES (@Job, @slot, @Instance, @now, @status, @claimed, @RequestedBy);
                SELECT LAST_INSERT_ID();
                """,
                new
                {
                    run.Job,
                    slot = run.Slot.UtcDateTime,
                    run.Instance,
                    run.RequestedBy,
                    now = time.GetUtcNow().UtcDateTime,
                    status = ScheduleRunStatus.Running,
                    claimed = onceAcrossServers ? run.Slot.UtcDateTime : (DateTime?)null,
                },
                cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (database.IsDuplicateKey(ex))
        {
            return null;
        }
    }

    /// <summary>Records how a started run ended.</summary>
    public async Task FinishAsync(long id, string status, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedule_runs SET finished_at = @now, status = @status, error = @error WHERE id = @id",
            new { id, now = time.GetUtcNow().UtcDateTime, status, error = Truncate(error) },
            cancellationToken: cancellationToken));
    }

    /// <summary>Records a slot this server did not run, and why.</summary>
    public async Task RecordSkipAsync(ScheduledRun run, string status, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO schedule_runs (job, slot, instance, started_at, finished_at, status, error, requested_by)
            VALUES (@Job, @slot, @Instance, @now, @now, @status, @reason, @RequestedBy)
            """,
            new { run.Job, slot = run.Slot.UtcDateTime, run.Instance, run.RequestedBy, now, status, reason = Truncate(reason) },
            cancellationToken: cancellationToken));
    }

    /// <summary>The newest runs first (by slot), of one schedule or of all.</summary>
    public async Task<IReadOnlyList<ScheduleRunRecord>> QueryAsync(string? job, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT {Columns}
            FROM schedule_runs {(job is null ? "" : "WHERE job = @job")}
            ORDER BY slot DESC, id DESC
            LIMIT @limit
            """,
            new { job, limit },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>
    /// The newest <paramref name="limit"/> slots across all schedules, each with every server's row for it: one
    /// line per slot for the schedule page, however many servers tried it.
    /// </summary>
    /// <remarks>
    /// Reads the newest rows along the slot index, room for <see cref="RowsPerSlotRead"/> servers per slot, rather than
    /// grouping the whole table: the page asks every few seconds, and the table holds a week of every server's rows.
    /// When the row limit cuts in, the oldest slot read may be missing some of its rows, so it is left out.
    /// </remarks>
    public async Task<IReadOnlyList<ScheduleSlot>> QuerySlotsAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var rowLimit = limit * RowsPerSlotRead;
        var rows = await QueryAsync(job: null, rowLimit, cancellationToken);
        var slots = ScheduleSlot.Group(rows);
        return [.. slots.Where(s => rows.Count < rowLimit || s.Slot > rows[^1].Slot).Take(limit)];
    }

    /// <summary>The newest failed run of each of <paramref name="jobs"/> that has one within the retention.</summary>
    /// <remarks>One indexed look-up per schedule (job, status, slot), in one round trip: failures are rare, and a scan for them would read every row.</remarks>
    public async Task<IReadOnlyList<ScheduleRunRecord>> LastFailuresAsync(IReadOnlyCollection<string> jobs, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        var parameters = new DynamicParameters(new { failed = ScheduleRunStatus.Failed });
        var lookups = jobs.Select((job, i) =>
        {
            parameters.Add($"job{i}", job);
            return $"(SELECT {Columns} FROM schedule_runs WHERE job = @job{i} AND status = @failed ORDER BY slot DESC, id DESC LIMIT 1)";
        }).ToList();
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(string.Join(" UNION ALL ", lookups), parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>Deletes runs whose slot is older than <paramref name="cutoff"/>, in batches so no lock is held long.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM schedule_runs WHERE slot < @cutoff LIMIT @batch",
                new { cutoff = cutoff.UtcDateTime, batch = PruneBatch },
                cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == PruneBatch);

        return total;
    }

    private const string Columns = "job, slot, instance, started_at AS StartedAt, finished_at AS FinishedAt, status, error, requested_by AS RequestedBy";

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static string? Truncate(string? text) => text is { Length: > MaxErrorLength } ? text[..MaxErrorLength] : text;

    private sealed record Row(string Job, DateTime Slot, string Instance, DateTime StartedAt, DateTime? FinishedAt, string Status, string? Error, string? RequestedBy)
    {
        public ScheduleRunRecord ToRecord() =>
            new(Job, Utc(Slot), Instance, Utc(StartedAt), FinishedAt is { } f ? Utc(f) : null, Status, Error, RequestedBy);
    }
}
