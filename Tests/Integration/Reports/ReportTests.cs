using Amazon.S3;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecondServer.Application.Reports;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Reports;

/// <summary>A report requested on a Web host, built by a Worker host from MySQL into S3, downloaded through its presigned link.</summary>
public sealed class ReportTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    private TestHost Worker => _cluster.Worker();

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(1, 1, o =>
        {
            o.Name = "reports";
            o.Settings["Queue:PollInterval"] = "00:00:00.050";
            o.Settings["Queue:RetryDelay"] = "00:00:00.050";
        }, Ct);
        await Worker.Services.GetRequiredService<BucketInitializer>().EnsureBucketAsync(Ct);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_requested_report_becomes_a_CSV_of_the_accounts_behind_a_short_lived_link()
    {
        await InsertAccountAsync("ada@example.com", "Ada, Countess of \"Lovelace\"", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        await InsertAccountAsync("mallory@example.com", "=HYPERLINK(\"http://evil.example\")", new DateTime(2026, 2, 3, 4, 5, 6, 789, DateTimeKind.Utc));
        await InsertAccountAsync("bob@example.com", "Bob", new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc));
        var reports = Web.Services.GetRequiredService<ReportService>();

        var id = await reports.RequestAsync(requestedBy: null, Ct);
        var report = await Eventually.WaitAsync(() => reports.GetAsync(id, Ct), r => r?.Status is "done" or "failed", TimeSpan.FromSeconds(30), "the report to finish");

        Assert.Equal("done", report!.Status);
        using var http = new HttpClient();
        var csv = await http.GetStringAsync(report.DownloadUrl, Ct);
        Assert.Equal(
            """"
            id,email,display_name,created_at
            1,ada@example.com,"Ada, Countess of ""Lovelace""",2026-01-02T03:04:05.000000Z
            2,mallory@example.com,"'=HYPERLINK(""http://evil.example"")",2026-02-03T04:05:06.789000Z
            3,bob@example.com,Bob,2026-03-04T05:06:07.000000Z

            """".ReplaceLineEndings("\n"), csv);
        Assert.Contains("X-Amz-Expires=300", report.DownloadUrl!.Query, StringComparison.Ordinal);
        Assert.Equal(id, (await Worker.Services.GetRequiredService<ReportService>().GetAsync(id, Ct))!.Id);
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_ends_failed_with_its_reason_after_its_attempts()
    {
        var s3 = Worker.Services.GetRequiredService<IAmazonS3>();
        await s3.DeleteBucketAsync(Worker.Services.GetRequiredService<IOptions<StorageOptions>>().Value.Bucket, Ct);
        var reports = Web.Services.GetRequiredService<ReportService>();

        var id = await reports.RequestAsync(requestedBy: null, Ct);
        var report = await Eventually.WaitAsync(() => reports.GetAsync(id, Ct), r => r?.Status is "done" or "failed", TimeSpan.FromSeconds(30), "the report to fail");

        Assert.Equal(new ReportStatus(id, "failed", null), report);
        var error = await ScalarAsync<string>("SELECT error FROM reports");
        Assert.Contains("bucket", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_report_is_not_found()
    {
        Assert.Null(await Web.Services.GetRequiredService<ReportService>().GetAsync(Guid.NewGuid(), Ct));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task InsertAccountAsync(string email, string displayName, DateTime createdAt)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(Ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO accounts (email, email_normalized, display_name, password_hash, created_at, updated_at)
            VALUES (@email, @email, @displayName, 'x', @createdAt, @createdAt)
            """,
            new { email, displayName, createdAt }, cancellationToken: Ct));
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, cancellationToken: Ct)))!;
    }
}
