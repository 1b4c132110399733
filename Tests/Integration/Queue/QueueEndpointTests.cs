using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Queue;

/// <summary>
/// The report and queue admin endpoints over HTTP, as an administrator (signed in as <c>admin@example.com</c>,
/// which <c>Admin:Emails</c> names), a plain user and a stranger see them; a Worker host does the work.
/// </summary>
public sealed class QueueEndpointTests : IAsyncLifetime
{
    private const string Admin = "admin@example.com";
    private readonly QueueWorkerTests.Recorder _recorder = new();
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 1, o =>
    {
        o.Name = "admin";
        o.Settings["Admin:Emails:0"] = Admin;
        o.Settings["Queue:PollInterval"] = "00:00:00.050";
        o.Settings["Queue:RetryDelay"] = "00:00:00.050";
        o.ConfigureHosts(RegisterRecordedJob);
    }, Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_administrator_requests_a_report_and_downloads_it_through_its_link()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(Web.Address, Admin, displayName: "The Admin");

        admin.SendXsrfHeader = false;
        using (var forged = await admin.PostAsync(Web.Address, "/api/reports"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        admin.SendXsrfHeader = true;
        using var requested = await admin.PostAsync(Web.Address, "/api/reports");
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var id = (await requested.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        Assert.Equal($"/api/reports/{id}", requested.Headers.Location?.OriginalString);

        var report = await Eventually.WaitAsync(
            async () => await (await admin.GetAsync(Web.Address, $"/api/reports/{id}")).Content.ReadFromJsonAsync<JsonElement>(Ct),
            r => r.GetProperty("status").GetString() is "done" or "failed", TimeSpan.FromSeconds(30), "the report to finish");

        Assert.Equal("done", report.GetProperty("status").GetString());
        using var http = new HttpClient();
        var csv = await http.GetStringAsync(new Uri(report.GetProperty("downloadUrl").GetString()!), Ct);
        Assert.StartsWith("id,email,display_name,created_at\n1,admin@example.com,The Admin,", csv, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT requested_by FROM reports"));

        using var unknown = await admin.GetAsync(Web.Address, $"/api/reports/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Reports_and_the_queue_dashboard_are_for_administrators_only()
    {
        using var stranger = new Browser();
        using var user = new Browser();
        await user.SignUpAndInAsync(Web.Address, "user@example.com");

        foreach (var (browser, expected) in new[] { (stranger, HttpStatusCode.Unauthorized), (user, HttpStatusCode.Forbidden) })
        {
            foreach (var (method, path) in new[]
            {
                (HttpMethod.Post, "/api/reports"),
                (HttpMethod.Get, $"/api/reports/{Guid.NewGuid()}"),
                (HttpMethod.Get, "/api/admin/queue"),
                (HttpMethod.Get, "/api/admin/queue/failed"),
                (HttpMethod.Post, "/api/admin/queue/failed/retry"),
                (HttpMethod.Delete, "/api/admin/queue/failed/x"),
            })
            {
                using var response = await browser.SendAsync(method, Web.Address, path, null);
                Assert.True(expected == response.StatusCode, $"{method} {path} answered {(int)response.StatusCode}, expected {(int)expected}");
            }
        }

        Assert.Equal(0, await ScalarAsync<int>("SELECT COUNT(*) FROM reports"));
    }

    [Fact]
    public async Task The_dashboard_counts_the_queues_and_failed_jobs_are_listed_retried_and_deleted()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(Web.Address, Admin);
        var dispatcher = Web.Services.GetRequiredService<JobDispatcher>();
        var flaky = (await dispatcher.DispatchAsync(new RecordedJob("flaky"), null, Ct)).JobId;
        var unreadable = Guid.NewGuid().ToString("N");
        await Web.Services.GetRequiredService<RedisJobQueue>().PushAsync("default", unreadable, "not an envelope", DateTimeOffset.UtcNow, null, Ct);
        var delayed = await dispatcher.DispatchAsync(new RecordedJob("later"), new DispatchOptions { Delay = TimeSpan.FromHours(1) }, Ct);

        var overview = await Eventually.WaitAsync(
            async () => await (await admin.GetAsync(Web.Address, "/api/admin/queue")).Content.ReadFromJsonAsync<JsonElement>(Ct),
            // A failed job is recorded in MySQL first and then leaves its reservation in Redis: wait for both.
            o => o.GetProperty("failed").GetInt64() == 2 && o.GetProperty("reserved").GetInt64() == 0, TimeSpan.FromSeconds(20), "two failed jobs on the dashboard");
        Assert.Equal((0, 0, 1), (overview.GetProperty("pending").GetInt64(), overview.GetProperty("reserved").GetInt64(), overview.GetProperty("delayed").GetInt64()));
        Assert.True(overview.GetProperty("jobsPerSecond").GetDouble() >= 0);
        var queues = overview.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        Assert.Equal(["default", "reports"], queues.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, queues["default"].GetProperty("failed").GetInt64());

        var failed = await (await admin.GetAsync(Web.Address, "/api/admin/queue/failed?limit=10")).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(
            new[] { flaky, unreadable }.Order(StringComparer.Ordinal),
            failed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("jobId").GetString()!).Order(StringComparer.Ordinal));
        using var one = await admin.GetAsync(Web.Address, $"/api/admin/queue/failed/{flaky}");
        Assert.Contains("flaky is broken", (await one.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("exception").GetString(), StringComparison.Ordinal);

        using (var deleted = await admin.SendAsync(HttpMethod.Delete, Web.Address, $"/api/admin/queue/failed/{unreadable}", null))
        using (var again = await admin.SendAsync(HttpMethod.Delete, Web.Address, $"/api/admin/queue/failed/{unreadable}", null))
        {
            Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound), (deleted.StatusCode, again.StatusCode));
        }

        _recorder.Fixed = true;
        using (var retried = await admin.PostAsync(Web.Address, $"/api/admin/queue/failed/{flaky}/retry"))
        using (var missing = await admin.PostAsync(Web.Address, $"/api/admin/queue/failed/{flaky}/retry"))
        {
            Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.NotFound), (retried.StatusCode, missing.StatusCode));
        }

        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(flaky)), done => done, TimeSpan.FromSeconds(20), "the retried job to succeed");
        using var all = await admin.PostAsync(Web.Address, "/api/admin/queue/failed/retry");
        Assert.Equal(0, (await all.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("retried").GetInt32());
        Assert.True(delayed.Enqueued);
    }

    [Fact]
    public async Task Failed_jobs_are_deleted_and_retried_with_the_queue_pages_buttons()
    {
        using var admin = new Browser();
        await admin.SignUpAndInAsync(Web.Address, Admin);
        var dispatcher = Web.Services.GetRequiredService<JobDispatcher>();
        var doomed = (await dispatcher.DispatchAsync(new RecordedJob("doomed"), null, Ct)).JobId;
        var flaky = (await dispatcher.DispatchAsync(new RecordedJob("flaky"), null, Ct)).JobId;
        await Eventually.WaitAsync(() => PageAsync(admin), html => html.Contains($"data-failed-job=\"{doomed}\"", StringComparison.Ordinal)
            && html.Contains($"data-failed-job=\"{flaky}\"", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "both failures on the queue page");
        var token = await admin.FormTokenAsync(Web.Address, "/admin/queue");

        using (var deleted = await admin.PostFormAsync(Web.Address, $"/admin/queue?handler=Delete&jobId={doomed}", token))
        {
            Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        }

        var afterDelete = await PageAsync(admin);
        _recorder.Fixed = true;
        using (var retried = await admin.PostFormAsync(Web.Address, $"/admin/queue?handler=Retry&jobId={flaky}", token))
        {
            Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        }

        var afterRetry = await PageAsync(admin);
        using (var again = await admin.PostFormAsync(Web.Address, $"/admin/queue?handler=Delete&jobId={doomed}", token))
        {
            Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        }

        var afterAgain = await PageAsync(admin);
        admin.SendXsrfHeader = false;
        using var forged = await admin.PostAsync(Web.Address, $"/admin/queue?handler=Delete&jobId={flaky}", new FormUrlEncodedContent([]));

        Assert.Contains($"Job {doomed} is deleted.", afterDelete, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-failed-job=\"{doomed}\"", afterDelete, StringComparison.Ordinal);
        Assert.Contains($"Job {flaky} is back on its queue.", afterRetry, StringComparison.Ordinal);
        Assert.Contains("No failed job.", afterRetry, StringComparison.Ordinal);
        Assert.Contains($"Job {doomed} is no longer among the failed jobs", afterAgain, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        await Eventually.WaitAsync(() => Task.FromResult(_recorder.Succeeded(flaky)), done => done, TimeSpan.FromSeconds(20), "the retried job to succeed");
        Assert.Equal(0, await ScalarAsync<int>("SELECT COUNT(*) FROM failed_jobs"));
    }

    [Fact]
    public async Task A_queue_outage_is_reported_as_Redis_being_unavailable()
    {
        using var nowhere = TestRedis.Connect("127.0.0.1:1,connectTimeout=200", "t:");
        var failures = new DependencyFailures(TestDatabase.FactoryFor("Server=127.0.0.1;Port=1;User ID=nobody;Database=none"));

        var outage = await Assert.ThrowsAsync<QueueUnavailableException>(() =>
            new RedisJobQueue(nowhere.Connection, TimeProvider.System).PushAsync("default", "job", "{}", DateTimeOffset.UtcNow, null, Ct));

        Assert.Equal("Redis", failures.DependencyOf(outage));
    }

    [Fact]
    public async Task Requesting_a_report_while_Redis_is_down_answers_503_problem_json()
    {
        var password = Guid.NewGuid().ToString("N");
        await using var redis = await ServerContainer.StartRedisAsync(password);
        await using var web = await _cluster.StartWebAsync("web-queue-outage", Ct, s => s["ConnectionStrings:redis"] = $"127.0.0.1:{redis.Port},password={password}");
        using var admin = new Browser();
        await admin.SignUpAndInAsync(web.Address, Admin);

        await redis.StopAsync();
        using var response = await admin.PostAsync(web.Address, "/api/reports");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Redis is unavailable.", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
        Assert.Equal(0, await ScalarAsync<int>("SELECT COUNT(*) FROM reports"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> PageAsync(Browser admin)
    {
        using var page = await admin.GetAsync(Web.Address, "/admin/queue");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await page.Content.ReadAsStringAsync(Ct);
    }

    private void RegisterRecordedJob(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
        builder.Services.AddSingleton(_recorder).AddJob<RecordedJob, RecordedJob.Handler>(job => job.MaxAttempts = 2);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, cancellationToken: Ct)))!;
    }
}
