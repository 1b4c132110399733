using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using SecondServer.Application.Reports;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// <c>POST /api/reports</c> writes twice: the row, then the job. A replica killed between the two leaves a row
/// queued with no job; the cluster's sweep of stranded reports queues it again, once, and never beside a live job.
/// </summary>
[Collection("cluster")]
public sealed class StrandedReportTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_report_left_queued_without_a_job_by_a_crash_between_its_two_writes_is_done_all_the_same()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        var user = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        await using var load = LoadGenerator.Start(user.Requests(reports: false), concurrency: 2, bound: TimeSpan.FromMinutes(3));

        // Exactly what the crash leaves: the row the request inserted, and no job, nowhere in Redis.
        var id = Guid.CreateVersion7();
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO reports (id, status, created_at) VALUES (@id, 'queued', UTC_TIMESTAMP(6))", new { id = id.ToString() }, cancellationToken: ct));
        }

        var report = await Eventually.WaitAsync(
            () => StatusAsync(admin, id), s => s is "done" or "failed", ReportService.StrandedAfter + TimeSpan.FromMinutes(2), "the stranded report to finish");
        await load.FinishAsync();

        Assert.Equal("done", report);
        using var s3 = cluster.S3();
        using var csv = await s3.GetObjectAsync("uploads", ReportService.ObjectKeyOf(id), ct);
        Assert.StartsWith("id,email,display_name,created_at\n", await new StreamReader(csv.ResponseStream).ReadToEndAsync(ct), StringComparison.Ordinal);
        Assert.Empty(load.Failures);
    }

    [Fact]
    public async Task A_report_waiting_for_a_stopped_worker_is_not_queued_a_second_time_by_the_sweep()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        try
        {
            await cluster.SupervisorAsync("stop", "apps:worker-1");
            using var queued = await admin.PostAsync(cluster.Balancer, "/api/reports");
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            var id = (await queued.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
            var strandedFrom = DateTimeOffset.UtcNow + ReportService.StrandedAfter;

            // A sweep that began once the report counted as stranded, and finished: it saw the report still queued.
            await Eventually.WaitAsync(
                () => SweepsFinishedAfterAsync(admin, strandedFrom), n => n > 0, ReportService.StrandedAfter + TimeSpan.FromMinutes(1), "a sweep after the report counts as stranded");

            Assert.Equal("queued", await StatusAsync(admin, id));
            Assert.Equal(1, await JobsOfAsync(id));
        }
        finally
        {
            await cluster.SupervisorAsync("start", "apps:worker-1");
        }
    }

    private async Task<int> SweepsFinishedAfterAsync(Browser admin, DateTimeOffset after)
    {
        using var response = await admin.GetAsync(cluster.Balancer, $"/api/admin/schedule/runs?job={RequeueStrandedReportsJob.Name}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var runs = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return runs.EnumerateArray().Count(r =>
            r.GetProperty("startedAt").GetDateTimeOffset() > after && r.GetProperty("status").GetString() == "ok");
    }

    private async Task<string> StatusAsync(Browser admin, Guid id)
    {
        using var response = await admin.GetAsync(cluster.Balancer, $"/api/reports/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString()!;
    }

    // The report's jobs as Redis holds them, whatever else the queue holds (another test's reports may be waiting too).
    private async Task<int> JobsOfAsync(Guid reportId)
    {
        await using var redis = await cluster.ConnectRedisAsync();
        var envelopes = await redis.GetDatabase().HashValuesAsync("ss:queues:reports:jobs");
        return envelopes.Count(e => ReportIdOf(e.ToString()) == reportId);

        static Guid ReportIdOf(string envelope)
        {
            using var json = JsonDocument.Parse(envelope);
            return json.RootElement.GetProperty("payload").GetProperty("reportId").GetGuid();
        }
    }
}
