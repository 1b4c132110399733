using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SecondServer.Application.Data;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Reports;

/// <summary>Builds the accounts CSV of one report row.</summary>
internal sealed record GenerateReportJob(Guid ReportId) : IUniqueJob
{
    public static string JobType => "report:generate";

    /// <summary>
    /// One job per report at a time, so re-queuing a stranded report never adds a second job beside a live one.
    /// Not in the payload: it travels in the envelope's own uniqueId, which every release already reads.
    /// </summary>
    [JsonIgnore]
    public string UniqueId => ReportId.ToString("N");
}

/// <summary>
/// Streams the accounts table, page by page in id order, into a CSV object in S3, holding one page and one upload
/// part in memory whatever the table's size. Idempotent: the object key derives from the report id, so a second
/// delivery (after a crash) overwrites the same object, and a report already done is left alone.
/// </summary>
internal sealed class GenerateReportHandler(
    IDbContextFactory<AppDbContext> contexts,
    ObjectStorage storage,
    TimeProvider time,
    ILogger<GenerateReportHandler> logger) : IJobHandler<GenerateReportJob>, IJobFailureHandler<GenerateReportJob>
{
    private const int PageSize = 1000;

    public async Task HandleAsync(GenerateReportJob job, JobContext context, CancellationToken cancellationToken)
    {
        if (!await MarkRunningAsync(job.ReportId, cancellationToken))
        {
            logger.LogInformation("Report {ReportId} is already done or gone; nothing to do", job.ReportId);
            return;
        }

        var key = ReportService.ObjectKeyOf(job.ReportId);
        var rows = 0L;
        await using (var upload = storage.OpenWrite(key, "text/csv; charset=utf-8"))
        {
            await using (var writer = new StreamWriter(upload, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true))
            {
                await writer.WriteAsync("id,email,display_name,created_at\n");
                long after = 0;
                while (true)
                {
                    var page = await NextPageAsync(after, cancellationToken);
                    foreach (var account in page)
                    {
                        await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                            $"{account.Id},{Csv.Field(account.Email)},{Csv.Field(account.DisplayName)},{DateTime.SpecifyKind(account.CreatedAt, DateTimeKind.Utc):yyyy-MM-ddTHH:mm:ss.ffffffZ}\n"));
                    }

                    rows += page.Count;
                    if (page.Count < PageSize)
                    {
                        break;
                    }

                    after = page[^1].Id;
                }

                await writer.FlushAsync(cancellationToken);
            }

            await upload.CompleteAsync(cancellationToken);
        }

        var now = time.GetUtcNow().UtcDateTime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Reports.Where(r => r.Id == job.ReportId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ReportState.Done).SetProperty(r => r.ObjectKey, key)
                .SetProperty(r => r.Error, (string?)null).SetProperty(r => r.FinishedAt, now), cancellationToken);
        }

        logger.LogInformation("Report {ReportId} done: {Rows} accounts in {Key}", job.ReportId, rows, key);
    }

    public async Task OnFailedAsync(GenerateReportJob job, JobContext context, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Reports.Where(r => r.Id == job.ReportId && r.Status != ReportState.Done).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, ReportState.Failed).SetProperty(r => r.Error, reason).SetProperty(r => r.FinishedAt, now), cancellationToken);
    }

    // A failed report may run again (an operator retried its job); a done one may not.
    private async Task<bool> MarkRunningAsync(Guid reportId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Reports.Where(r => r.Id == reportId && r.Status != ReportState.Done).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, ReportState.Running).SetProperty(r => r.StartedAt, now).SetProperty(r => r.Error, (string?)null), cancellationToken) == 1;
    }

    private async Task<List<CsvRow>> NextPageAsync(long after, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Accounts.AsNoTracking().Where(a => a.Id > after).OrderBy(a => a.Id).Take(PageSize)
            .Select(a => new CsvRow(a.Id, a.Email, a.DisplayName, a.CreatedAt)).ToListAsync(cancellationToken);
    }

    private sealed record CsvRow(long Id, string Email, string DisplayName, DateTime CreatedAt);
}

/// <summary>RFC 4180 fields, safe to open in a spreadsheet.</summary>
internal static class Csv
{
    public static string Field(string value)
    {
        // A cell starting with = + - @ (or a tab or CR) is a formula to a spreadsheet: a display name must never run
        // as one on an administrator's machine (OWASP's CSV injection advice: prefix a quote).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
