using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>Rules 1 and 6 in a real browser: an administrator sees every replica and the worker, and the doctor's verdict.</summary>
[Collection("cluster")]
public sealed class OperatorPagesTests(ClusterFixture cluster, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task An_administrator_sees_both_replicas_in_the_pool_and_the_worker_on_the_cluster_page()
    {
        await cluster.WaitUntilBothReplicasUpAsync();

        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, "/admin/cluster");

            var instances = page.GetByRole(AriaRole.Table, new() { Name = "Instances" });
            var rows = instances.Locator("tr[data-instance]");
            await Expect(rows).ToHaveCountAsync(3);
            foreach (var replica in new[] { "web-1", "web-2" })
            {
                var row = instances.Locator($"tr[data-instance='{replica}']");
                await Expect(row.Locator("[data-pool]")).ToHaveTextAsync(new Regex("^UP for "));
                await Expect(row.Locator("[data-health]")).ToHaveTextAsync("ready");
            }

            var worker = instances.Locator("tr[data-instance='worker-1']");
            await Expect(worker).ToContainTextAsync("not balanced");
            await Expect(worker.Locator("[data-health]")).ToHaveTextAsync("ready");
            // Every instance names its release (the folder scripts/up published) and how long it has run.
            var releases = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.cells[6].textContent.trim())");
            Assert.Single(releases.Distinct(StringComparer.Ordinal));
            Assert.Matches("^\\d{14}-", releases[0]);
            var uptimes = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.cells[8].textContent.trim())");
            Assert.All(uptimes, uptime => Assert.Matches("^\\d+ (s|min|h \\d+ min|d \\d+ h)$", uptime));

            // From there to the doctor through the navigation, as a person would.
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Doctor" }).ClickAsync();
            await Expect(page.Locator("[data-failed]")).ToContainTextAsync("All 7 rules pass");
            await Expect(page.Locator("li[data-passed='true']")).ToHaveCountAsync(7);
        });
    }
}
