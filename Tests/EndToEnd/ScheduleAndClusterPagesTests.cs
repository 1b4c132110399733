using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>
/// The schedule and cluster pages in a real browser on the running cluster: one line per slot, "run now" once
/// however many replicas receive the click, and the cluster's rates, health history and deploys drawn without script.
/// </summary>
[Collection("cluster")]
public sealed class ScheduleAndClusterPagesTests(ClusterFixture cluster, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const string Heartbeat = "heartbeat";

    [Fact]
    public async Task The_schedule_page_shows_one_line_per_slot_and_run_now_runs_once_though_both_replicas_received_the_click()
    {
        await cluster.WaitUntilBothReplicasUpAsync();

        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, "/admin/schedule");
            var slots = page.GetByRole(AriaRole.Table, new() { Name = "Recent slots" });

            // The heartbeat runs every 5 s on web-1, web-2 and the worker: one line per slot, the two others stood down.
            await Expect(slots.Locator($"tr[data-job='{Heartbeat}'][data-stood-down='2']").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var lines = await slots.Locator("tr[data-job]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.job + ' ' + r.dataset.slot)");
            Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
            await Expect(page.Locator($"tr[data-schedule='{Heartbeat}'] [data-next-slots] span")).ToHaveCountAsync(3);

            // The click as the browser sends it, caught on its way so the very same form can reach both replicas too.
            string? click = null;
            await page.RouteAsync("**/admin/schedule?handler=RunNow", async route =>
            {
                click = route.Request.PostData;
                await route.ContinueAsync();
            });
            await page.GetByRole(AriaRole.Button, new() { Name = $"Run {Heartbeat} now" }).ClickAsync();
            await Expect(page.Locator(".flash")).ToContainTextAsync($"{Heartbeat} runs now, on ");
            Assert.NotNull(click);
            foreach (var replica in new[] { cluster.Replica(1), cluster.Replica(2) })
            {
                var resent = await page.APIRequest.PostAsync(new Uri(replica, "/admin/schedule?handler=RunNow").ToString(), new()
                {
                    Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
                    DataString = click,
                    MaxRedirects = 0,
                });
                Assert.Equal((int)HttpStatusCode.Redirect, resent.Status);
            }

            var slot = WebUtility.UrlDecode(Regex.Match(click!, "(?:^|&)slot=([^&]+)").Groups[1].Value);
            Assert.True(ManualRuns.TryRead(slot, out var manualSlot), slot);
            // Three receipts of one click: one run, two replicas that stood down, all recorded as the administrator's.
            var runs = await Eventually.WaitAsync(
                async () =>
                {
                    var response = await page.APIRequest.GetAsync(new Uri(cluster.Balancer, $"/api/admin/schedule/runs?job={Heartbeat}&limit=200").ToString());
                    var all = JsonSerializer.Deserialize<ScheduleRunRecord[]>(await response.TextAsync(), new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
                    return all.Where(r => r.Slot == manualSlot).ToList();
                },
                r => r.Count == 3 && r.All(x => x.Status != ScheduleRunStatus.Running),
                TimeSpan.FromSeconds(60),
                "the three receipts of the click recorded");
            Assert.Equal(ScheduleRunStatus.Ok, Assert.Single(runs, r => !r.Status.StartsWith("skipped-", StringComparison.Ordinal)).Status);
            Assert.Equal(2, runs.Count(r => r.Status == ScheduleRunStatus.SkippedOtherServer));
            Assert.All(runs, r => Assert.Equal(AdminSignIn.Email, r.RequestedBy));

            // The page (refreshing itself) shows the click as one line: who ran it, two stood down, who asked.
            var line = slots.Locator($"tr[data-job='{Heartbeat}'][data-slot='{slot}']");
            await Expect(line).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Expect(line).ToHaveAttributeAsync("data-stood-down", "2");
            await Expect(line.Locator("[data-requested-by]")).ToHaveTextAsync($"run now by {AdminSignIn.Email}");
            await Expect(line.Locator("td.status-ok")).ToHaveTextAsync(ScheduleRunStatus.Ok);
            await ChromiumFixture.SaveReadmeScreenshotAsync(page, "schedule.png");
        });
    }

    [Fact]
    public async Task After_a_deploy_the_cluster_page_shows_each_replica_leaving_and_rejoining_the_pool_the_deploy_and_sparklines()
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        // Rolling the running release out again: a real deploy (drain, stop, start, ready for each replica) without a build.
        var release = cluster.InstanceReleases()[0];
        await using (var load = LoadGenerator.Start(new Uri(cluster.Balancer, "/health/live"), concurrency: 2, bound: TimeSpan.FromMinutes(4)))
        {
            var (exitCode, output) = await cluster.RunScriptAsync("deploy", null, "--release", Path.Combine(cluster.DataDirectory, "releases", release));
            await load.StopAsync();
            Assert.True(exitCode == 0, output);
        }

        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, "/admin/cluster");
            foreach (var replica in new[] { "web-1", "web-2" })
            {
                // Drawn on the server: an SVG with its figures in its accessible name, no script involved.
                foreach (var chart in new[] { "requests", "response-time" })
                {
                    var sparkline = page.Locator($"tr[data-instance='{replica}'] td[data-chart='{chart}'] svg[role='img']");
                    await Expect(sparkline).ToHaveAttributeAsync("aria-label", new Regex($"^{replica} .*: now [0-9.]+ (req/s|ms), min "), new() { Timeout = 60_000 });
                    // A line, not a lone dot: two samples at least (more lines where a restart of HAProxy broke it).
                    await Expect(sparkline.Locator("polyline").First).ToBeAttachedAsync(new() { Timeout = 60_000 });
                }

                var history = page.GetByRole(AriaRole.Table, new() { Name = "Health check history" });
                await Expect(history.Locator($"tr[data-pool-change='{replica}']:not([data-to='UP'])").First).ToContainTextAsync("left the pool");
                await Expect(history.Locator($"tr[data-pool-change='{replica}'][data-to='UP']").First).ToContainTextAsync("rejoined the pool");
            }

            var deploy = page.GetByRole(AriaRole.Table, new() { Name = "Deploy history" }).Locator($"tr[data-deploy='{release}']").First;
            await Expect(deploy).ToContainTextAsync("release");
            await Expect(deploy.Locator("td.status-ok")).ToHaveTextAsync("ok");
            await ChromiumFixture.SaveReadmeScreenshotAsync(page, "cluster.png");
        });
    }
}
