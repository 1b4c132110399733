using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SecondServer.Application.Data;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Reports;

/// <summary>A report's state as the API shows it.</summary>
internal sealed record ReportStatus(Guid Id, string Status, Uri? DownloadUrl);

/// <summary>Requests reports (a row plus a job) and reports on them; the row is the truth, the job only the work.</summary>
internal sealed class ReportService(
    IDbContextFactory<AppDbContext> contexts,
    JobDispatcher dispatcher,
    ObjectStorage storage,
    TimeProvider time,
    ILogger<ReportService> logger)
{
    /// <summary>Presigned download links live this long: enough to click, too short to pass around.</summary>
    public static readonly TimeSpan DownloadUrlLifetime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A report still queued this long after its request is re-queued: far longer than a request takes between the
    /// row's insert and the enqueue, short enough that a user waiting on the report barely notices.
    /// </summary>
    public static readonly TimeSpan StrandedAfter = TimeSpan.FromSeconds(20);

    public static string ObjectKeyOf(Guid reportId) => $"reports/{reportId:N}.csv";

    /// <summary>Records a queued report and enqueues its job.</summary>
    /// <exception cref="QueueUnavailableException">The queue is down: the report was not created.</exception>
    public async Task<Guid> RequestAsync(long? requestedBy, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        // The row comes first: a worker that picks the job up at once must find it.
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Reports.Add(new ReportRow { Id = id, Status = ReportState.Queued, RequestedBy = requestedBy, CreatedAt = time.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync(cancellationToken);
        }

        try
        {
            await dispatcher.DispatchAsync(new GenerateReportJob(id), null, cancellationToken);
        }
        catch (QueueUnavailableException)
        {
            // The caller is told to try again; a row that no job will ever complete must not be left behind.
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            await db.Reports.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }

        return id;
    }

    /// <summary>
    /// Queues again every report left queued past <see cref="StrandedAfter"/>: a process killed between the row's
    /// insert and the enqueue (or a Redis that lost the job) leaves one that nothing would ever finish. The job is
    /// unique per report, so a report whose job is still pending, reserved or waiting for a retry gets no second one.
    /// </summary>
    /// <returns>How many jobs were added.</returns>
    public async Task<int> RequeueStrandedAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - StrandedAfter;
        List<Guid> stranded;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            stranded = await db.Reports.AsNoTracking().Where(r => r.Status == ReportState.Queued && r.CreatedAt < cutoff)
                .OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(1000).ToListAsync(cancellationToken);
        }

        var added = 0;
        foreach (var id in stranded)
        {
            if ((await dispatcher.DispatchAsync(new GenerateReportJob(id), null, cancellationToken)).Enqueued)
            {
                added++;
                logger.LogWarning("Report {ReportId} was queued with no job; queued it again", id);
            }
        }

        return added;
    }

    public async Task<ReportStatus?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var report = await db.Reports.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Status, r.ObjectKey }).SingleOrDefaultAsync(cancellationToken);
        if (report is null)
        {
            return null;
        }

        // Reports hold every account's email: a presigned link only, never the CDN.
        return new ReportStatus(id, report.Status, DownloadUrl(report.Status, report.ObjectKey));
    }

    /// <summary>The most recent reports, newest first, with download links for the finished ones.</summary>
    public async Task<IReadOnlyList<(ReportStatus Report, DateTime CreatedAt)>> ListRecentAsync(int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Reports.AsNoTracking().OrderByDescending(r => r.CreatedAt).Take(limit)
            .Select(r => new { r.Id, r.Status, r.ObjectKey, r.CreatedAt }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => (new ReportStatus(r.Id, r.Status, DownloadUrl(r.Status, r.ObjectKey)), r.CreatedAt))];
    }

    private Uri? DownloadUrl(string status, string? objectKey) =>
        status == ReportState.Done && objectKey is not null ? storage.PresignedUrl(objectKey, DownloadUrlLifetime) : null;
}
