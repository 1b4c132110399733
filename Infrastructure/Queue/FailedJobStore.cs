using Dapper;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Infrastructure.Queue;

/// <summary>A row of failed_jobs.</summary>
internal sealed record FailedJob(long Id, string JobId, string Queue, string JobType, string Payload, string Exception, int Attempts, DateTimeOffset FailedAt, string FailedBy)
{
    /// <summary>The exception's first line, its type and message: what a list shows, the trace being on the job's own page.</summary>
    public string Headline => Exception.Split('\n', 2)[0];
}

/// <summary>
/// Which failed jobs a list or a "retry matching" takes: by queue, by exact job type, and by text (a job id, or a
/// piece of the exception or payload, ignoring case). Empty parts match everything.
/// </summary>
internal sealed record FailedJobFilter(string? Queue = null, string? Type = null, string? Text = null)
{
    public static readonly FailedJobFilter All = new();

    public object Parameters => new
    {
        queueName = Blank(Queue),
        jobType = Blank(Type),
        text = Blank(Text),
        like = Blank(Text) is { } t ? "%" + EscapeLike(t.ToLowerInvariant()) + "%" : null,
    };

    public const string Where = """
        (@queueName IS NULL OR queue = @queueName) AND (@jobType IS NULL OR job_type = @jobType)
        AND (@text IS NULL OR job_id = @text OR LOWER(exception) LIKE @like OR LOWER(payload) LIKE @like)
        """;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // The text is matched literally: LIKE's wildcards and its escape character lose their meaning.
    private static string EscapeLike(string text) => text
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal)
        .Replace("_", "\\_", StringComparison.Ordinal);
}

/// <summary>
/// The dead-letter table in MySQL: it must outlive Redis restarts and be queryable, and it is where an operator
/// looks. Retrying moves a row back to its queue in one transaction, so a job is either here or queued.
/// </summary>
/// <remarks>
/// Plain SQL on Dapper, like the scheduler's history, while EF Core owns the table's schema (<see cref="FailedJobRow"/>):
/// recording is an upsert (<c>ON DUPLICATE KEY UPDATE</c>), which EF Core cannot say without raw SQL anyway, and the
/// same statements through EF Core measured 1.6x to 1.8x the time and 2x to 3x the allocations (see
/// <see cref="Scheduling.ScheduleHistory"/> for the figures).
/// </remarks>
internal sealed class FailedJobStore(IDbConnectionFactory database, RedisJobQueue queue, TimeProvider time)
{
    private const string Columns =
        "id AS Id, job_id AS JobId, queue AS Queue, job_type AS JobType, payload AS Payload, exception AS Exception, " +
        "attempts AS Attempts, failed_at AS FailedAt, failed_by AS FailedBy";

    public async Task RecordAsync(string jobId, string queueName, string jobType, string payload, string exception, int attempts, string failedBy, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO failed_jobs (job_id, queue, job_type, payload, exception, attempts, failed_at, failed_by)
            VALUES (@jobId, @queueName, @jobType, @payload, @exception, @attempts, @failedAt, @failedBy)
            ON DUPLICATE KEY UPDATE queue = VALUES(queue), job_type = VALUES(job_type), payload = VALUES(payload),
                exception = VALUES(exception), attempts = VALUES(attempts), failed_at = VALUES(failed_at), failed_by = VALUES(failed_by)
            """,
            new { jobId, queueName, jobType, payload, exception, attempts, failedAt = time.GetUtcNow().UtcDateTime, failedBy },
            cancellationToken: cancellationToken));
    }

    /// <summary>Newest first; <paramref name="beforeId"/> pages on from the last row of the previous page.</summary>
    public async Task<IReadOnlyList<FailedJob>> ListAsync(FailedJobFilter filter, int limit, long? beforeId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = new DynamicParameters(filter.Parameters);
        parameters.AddDynamicParams(new { beforeId, limit });
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM failed_jobs
            WHERE {FailedJobFilter.Where} AND (@beforeId IS NULL OR id < @beforeId)
            ORDER BY id DESC LIMIT @limit
            """,
            parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToFailedJob())];
    }

    /// <summary>How many failed jobs match, and the job types among all of them (for the filter's choices).</summary>
    public async Task<(long Matching, IReadOnlyList<string> Types)> CountAsync(FailedJobFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var matching = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM failed_jobs WHERE {FailedJobFilter.Where}", filter.Parameters, cancellationToken: cancellationToken));
        var types = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT job_type FROM failed_jobs ORDER BY job_type", cancellationToken: cancellationToken));
        return (matching, [.. types]);
    }

    public async Task<FailedJob?> FindAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM failed_jobs WHERE job_id = @jobId", new { jobId }, cancellationToken: cancellationToken));
        return row?.ToFailedJob();
    }

    public async Task<IReadOnlyDictionary<string, long>> CountByQueueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Queue, long Count)>(new CommandDefinition(
            "SELECT queue, COUNT(*) FROM failed_jobs GROUP BY queue", cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Queue, r => r.Count, StringComparer.Ordinal);
    }

    public async Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM failed_jobs WHERE job_id = @jobId", new { jobId }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// Puts a failed job back on its queue with its attempts reset, and deletes its row, in one transaction: if Redis
    /// refuses, the row stays. The envelope goes back as it was stored (same id, so logs and traces connect).
    /// </summary>
    /// <returns>False when no such failed job exists.</returns>
    public async Task<bool> RetryAsync(string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var failed = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM failed_jobs WHERE job_id = @jobId FOR UPDATE", new { jobId }, transaction, cancellationToken: cancellationToken));
        if (failed is null)
        {
            return false;
        }

        await queue.PushAsync(failed.Queue, jobId, failed.Payload, time.GetUtcNow(), unique: null, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM failed_jobs WHERE job_id = @jobId", new { jobId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The job ids of every failed job the filter matches, oldest first, for retrying them all.</summary>
    public async Task<IReadOnlyList<string>> JobIdsAsync(FailedJobFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT job_id FROM failed_jobs WHERE {FailedJobFilter.Where} ORDER BY id",
            filter.Parameters, cancellationToken: cancellationToken));
        return [.. ids];
    }

    // DATETIME(6) comes back without a kind; every time here is written in UTC.
    private sealed record Row(long Id, string JobId, string Queue, string JobType, string Payload, string Exception, int Attempts, DateTime FailedAt, string FailedBy)
    {
        public FailedJob ToFailedJob() =>
            new(Id, JobId, Queue, JobType, Payload, Exception, Attempts, new DateTimeOffset(DateTime.SpecifyKind(FailedAt, DateTimeKind.Utc)), FailedBy);
    }
}
