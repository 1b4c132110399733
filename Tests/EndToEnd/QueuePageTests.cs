using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Playwright;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>
/// The queue page in a real browser against the running cluster: its charts and newest jobs after real work, a
/// pause made on one replica holding on both and on the worker, and a failed job retried from the page.
/// </summary>
[Collection("cluster")]
public sealed class QueuePageTests(ClusterFixture cluster, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string ReportsQueue = "reports";

    [Fact]
    public async Task The_queue_page_charts_the_reports_finished_and_lists_them_with_their_details()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, AdminSignIn.Email, AdminSignIn.Password);
        var reports = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            reports.Add(await RequestReportAsync(admin));
        }

        await WaitForReportsAsync(admin, reports);

        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, $"/admin/queue?queue={ReportsQueue}");

            var activity = page.Locator($"[data-activity='{ReportsQueue}']");
            await Expect(activity.GetByRole(AriaRole.Img)).ToHaveCountAsync(4);
            // Charts leave out the minute in progress: the reports show once their minute is over. The page reloads
            // itself every 5 seconds meanwhile.
            var throughput = activity.Locator("svg[data-chart='throughput-hour']");
            await Expect(throughput).ToHaveAttributeAsync(
                "aria-label",
                new Regex("^reports: jobs finished per minute, last hour: latest [0-9.]+k? jobs/min at \\d\\d:\\d\\d UTC, peak (?!0 )[0-9.]+k? jobs/min"),
                new() { Timeout = 100_000 });
            await Expect(activity.Locator("svg[data-chart='wait-hour'] title")).ToHaveTextAsync("reports: mean wait before a job starts, last hour");
            await Expect(activity.Locator("tr[data-job-type='report:generate'][data-span='last hour'] td").Nth(2)).ToHaveTextAsync(new Regex("^[1-9]\\d*$"));

            var recent = page.GetByRole(AriaRole.Table, new() { Name = "Newest finished jobs" }).Locator("tr[data-recent-job]");
            await Expect(recent.Filter(new() { HasText = "report:generate" })).Not.ToHaveCountAsync(0);
            var newest = recent.Filter(new() { HasText = "report:generate" }).First;
            await Expect(newest.GetByRole(AriaRole.Cell).Nth(4)).ToHaveTextAsync("succeeded");
            await Expect(newest.GetByRole(AriaRole.Cell).Nth(7)).ToHaveTextAsync(new Regex("^worker-\\d+$"));

            await ChromiumFixture.SaveReadmeScreenshotAsync(page, "queue.png");

            await newest.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/admin/queue/jobs/[0-9a-f]+$"));
            await Expect(page.Locator("[data-job-state]")).ToHaveTextAsync("succeeded");
            await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Attempts" }).Locator("tr[data-attempt]")).ToHaveCountAsync(1);
            // The newest report job is one of those requested here (the worker runs them side by side, so which one
            // finishes last is its choice): its payload names that report.
            await Expect(page.Locator("[data-payload]")).ToContainTextAsync(new Regex(string.Join('|', reports.Select(Regex.Escape))));
        });
    }

    [Fact]
    public async Task A_queue_paused_on_one_replica_shows_paused_on_both_and_the_worker_reserves_nothing_until_resumed()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, AdminSignIn.Email, AdminSignIn.Password);
        await cluster.WaitUntilBothReplicasUpAsync();
        // Without the form's antiforgery token (nor the header a script of this origin could add), the pause is refused.
        admin.SendXsrfHeader = false;
        using (var forged = await admin.PostAsync(cluster.Balancer, $"/admin/queue?handler=Pause&name={ReportsQueue}", new FormUrlEncodedContent([])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        admin.SendXsrfHeader = true;

        try
        {
            await chromium.RunAsync(async page =>
            {
                // Signed in through the balancer; the session cookie is the host's, so it reaches each replica directly.
                await AdminSignIn.OpenAsAdminAsync(page, cluster, $"/admin/queue?queue={ReportsQueue}");
                await page.GotoAsync(new Uri(cluster.Replica(1), $"/admin/queue?queue={ReportsQueue}").ToString());
                await Expect(page.Locator("[data-served-by]")).ToHaveTextAsync("served by web-1");
                await page.GetByRole(AriaRole.Button, new() { Name = $"Pause queue {ReportsQueue}" }).ClickAsync();
                await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Queue {ReportsQueue} is paused");

                await page.GotoAsync(new Uri(cluster.Replica(2), $"/admin/queue?queue={ReportsQueue}").ToString());
                await Expect(page.Locator("[data-served-by]")).ToHaveTextAsync("served by web-2");
                var row = page.Locator($"tr[data-queue='{ReportsQueue}']");
                await Expect(row.Locator("[data-queue-state]")).ToHaveTextAsync("paused");

                var held = new List<string>();
                for (var i = 0; i < 3; i++)
                {
                    held.Add(await RequestReportAsync(admin));
                }

                // The worker polls at least every second: for three seconds, it must take none of them.
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromSeconds(3))
                {
                    var queue = await QueueAsync(admin);
                    Assert.True(queue.Pending >= held.Count && queue.Reserved == 0, $"the paused queue was reserved from: {queue}");
                    Assert.All(await StatusesAsync(admin, held), s => Assert.Equal("queued", s));
                    await Task.Delay(250, TestContext.Current.CancellationToken);
                }

                await page.ReloadAsync();
                await page.GetByRole(AriaRole.Button, new() { Name = $"Resume queue {ReportsQueue}" }).ClickAsync();
                await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Queue {ReportsQueue} is resumed");
                await WaitForReportsAsync(admin, held);

                await page.GotoAsync(new Uri(cluster.Replica(1), $"/admin/queue?queue={ReportsQueue}").ToString());
                await Expect(row.Locator("[data-queue-state]")).ToHaveTextAsync("running");
                // Both actions are in the audit log: who, what, through which replica; the newest first.
                var audit = page.GetByRole(AriaRole.Table, new() { Name = "Audit log" }).Locator("tr[data-audit]");
                await Expect(audit.Nth(0)).ToContainTextAsync($"{AdminSignIn.Email}resume{ReportsQueue}web-2");
                await Expect(audit.Nth(1)).ToContainTextAsync($"{AdminSignIn.Email}pause{ReportsQueue}web-1");
            });
        }
        finally
        {
            // Whatever failed above, the other cluster tests need the reports queue running.
            var token = await admin.FormTokenAsync(cluster.Balancer, "/admin/queue");
            using var resumed = await admin.PostFormAsync(cluster.Balancer, $"/admin/queue?handler=Resume&name={ReportsQueue}", token);
        }
    }

    [Fact]
    public async Task A_failed_job_retried_from_the_page_runs_on_the_worker()
    {
        // A probe job that failed for good earlier (say, under a release that did not know its type), as the worker
        // records it: its envelope as queued, in failed_jobs.
        var jobId = Guid.NewGuid().ToString("N");
        var label = "retried-" + jobId[..8];
        var envelope = $$"""{"id":"{{jobId}}","type":"queue:probe","queue":"default","payload":""" +
            $$"""{"label":"{{label}}","workMilliseconds":0},"attempts":0,"enqueuedAt":"2026-11-30T10:00:00Z","availableAt":"2026-11-30T10:00:00Z"}""";
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO failed_jobs (job_id, queue, job_type, payload, exception, attempts, failed_at, failed_by)
                VALUES (@jobId, 'default', 'queue:probe', @envelope, @exception, 1, UTC_TIMESTAMP(6), 'worker-1')
                """,
                new { jobId, envelope, exception = $"System.InvalidOperationException: Unknown job type 'queue:probe' ({label})\n   at an older release" });
        }

        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, "/admin/queue");
            var filter = page.GetByRole(AriaRole.Form, new() { Name = "Filter failed jobs" });
            await filter.GetByLabel("Type").SelectOptionAsync("queue:probe");
            await filter.GetByLabel("Text").FillAsync(label);
            await filter.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            var failed = page.GetByRole(AriaRole.Table, new() { Name = "Failed jobs" }).Locator("tr[data-failed-job]");
            await Expect(failed).ToHaveCountAsync(1);
            await Expect(failed.First).ToHaveAttributeAsync("data-failed-job", jobId);

            await page.GetByRole(AriaRole.Button, new() { Name = "Retry matching 1" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("1 failed job is back on its queue.");
            await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Audit log" }).Locator("tr[data-audit]").First)
                .ToContainTextAsync($"retry matching1 retried (type: queue:probe, text: \"{label}\")");
        });

        var run = await Eventually.WaitAsync(
            async () =>
            {
                await using var connection = await cluster.OpenDatabaseAsync();
                return await connection.QuerySingleOrDefaultAsync<ProbeRun>(
                    "SELECT instance AS Instance, finished_at AS FinishedAt FROM queue_probe_runs WHERE job_id = @jobId", new { jobId });
            },
            r => r?.FinishedAt is not null, TimeSpan.FromSeconds(60), "the retried job to run");
        Assert.StartsWith("worker-", run!.Instance, StringComparison.Ordinal);
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM failed_jobs WHERE job_id = @jobId", new { jobId }));
        }
    }

    private async Task<string> RequestReportAsync(Browser admin)
    {
        using var queued = await admin.PostAsync(cluster.Balancer, "/api/reports");
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        return (await queued.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
    }

    private Task WaitForReportsAsync(Browser admin, IReadOnlyList<string> ids) =>
        Eventually.WaitAsync(() => StatusesAsync(admin, ids), seen => seen.All(s => s == "done"), TimeSpan.FromSeconds(90), "the reports to be done");

    private async Task<List<string>> StatusesAsync(Browser admin, IReadOnlyList<string> ids)
    {
        var seen = new List<string>();
        foreach (var id in ids)
        {
            using var report = await admin.GetAsync(cluster.Balancer, $"/api/reports/{id}");
            seen.Add((await report.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString()!);
        }

        return seen;
    }

    private async Task<QueueFigures> QueueAsync(Browser admin)
    {
        using var response = await admin.GetAsync(cluster.Balancer, "/api/admin/queue");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var overview = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        var reports = overview.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == ReportsQueue);
        return new QueueFigures(reports.GetProperty("pending").GetInt64(), reports.GetProperty("reserved").GetInt64());
    }

    private sealed record QueueFigures(long Pending, long Reserved);

    private sealed record ProbeRun(string Instance, DateTime? FinishedAt);
}
