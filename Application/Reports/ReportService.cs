using Dapper;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Reports;

/// <summary>A report's state as the API shows it.</summary>
internal sealed record ReportStatus(Guid Id, string Status, Uri? DownloadUrl);

/// <summary>Requests reports (a row plus a job) and reports on them; the row is the truth, the job only the work.</summary>
internal sealed class ReportService(
    IDbConnectionFactory database,
    JobDispatcher dispatcher,
    ObjectStorage storage,
    TimeProvider time)
{
    /// <summary>Presigned download links live this long: enough to click, too short to pass around.</summary>
    public static readonly TimeSpan DownloadUrlLifetime = TimeSpan.FromMinutes(5);

    public static string ObjectKeyOf(Guid reportId) => $"reports/{reportId:N}.csv";

    /// <summary>Records a queued report and enqueues its job.</summary>
    /// <exception cref="QueueUnavailableException">The queue is down: the report was not created.</exception>
    public async Task<Guid> RequestAsync(long? requestedBy, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        // The row comes first: a worker that picks the job up at once must find it.
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO reports (id, status, requested_by, created_at) VALUES (@id, 'queued', @requestedBy, @now)",
                new { id, requestedBy, now = time.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
        }

        try
        {
            await dispatcher.DispatchAsync(new GenerateReportJob(id), null, cancellationToken);
        }
        catch (QueueUnavailableException)
        {
            // The caller is told to try again; a row that no job will ever complete must not be left behind.
            await using var connection = await database.OpenAsync(CancellationToken.None);
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM reports WHERE id = @id", new { id }, cancellationToken: CancellationToken.None));
            throw;
        }

        return id;
    }

    public async Task<ReportStatus?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var report = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT status AS Status, object_key AS ObjectKey FROM reports WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (report is null)
        {
            return null;
        }

        // Reports hold every account's email: a presigned link only, never the CDN.
        var url = report is { Status: "done", ObjectKey: { } key } ? storage.PresignedUrl(key, DownloadUrlLifetime) : null;
        return new ReportStatus(id, report.Status, url);
    }

    private sealed record Row(string Status, string? ObjectKey);
}
