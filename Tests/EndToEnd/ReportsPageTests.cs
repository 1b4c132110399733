using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>Rule 4 in a real browser: a report requested on the page, followed through the balancer until it can be downloaded.</summary>
[Collection("cluster")]
public sealed class ReportsPageTests(ClusterFixture cluster, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task A_report_requested_on_the_reports_page_reaches_done_and_its_csv_downloads()
    {
        await chromium.RunAsync(async page =>
        {
            await AdminSignIn.OpenAsAdminAsync(page, cluster, "/reports");

            var table = page.GetByRole(AriaRole.Table, new() { Name = "Recent reports" });
            var rows = table.Locator("tr[data-report]");
            var before = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.report)");
            await page.GetByRole(AriaRole.Button, new() { Name = "Request a report" }).ClickAsync();

            // The one row that was not there before the click is this request's, and the newest.
            var mine = table.Locator("tr[data-report]" + string.Concat(before.Select(id => $":not([data-report='{id}'])")));
            await Expect(mine).ToHaveCountAsync(1);
            await Expect(rows.First.And(mine)).ToHaveCountAsync(1);

            // The page reloads itself every 2 s while the report is queued or running, from whichever replica the
            // balancer picks; a failed report ends the wait at once instead of at the timeout.
            var status = mine.GetByRole(AriaRole.Cell).Nth(1);
            await Expect(status).ToHaveTextAsync(new Regex("^(done|failed)$"), new() { Timeout = 60_000 });
            await Expect(status).ToHaveTextAsync("done");

            var download = mine.GetByRole(AriaRole.Link, new() { Name = "Download CSV" });
            var url = await download.GetAttributeAsync("href");
            Assert.NotNull(url);
            var response = await page.APIRequest.GetAsync(url);
            await Expect(response).ToBeOKAsync();
            var csv = await response.TextAsync();
            Assert.StartsWith("id,email,display_name,created_at\n", csv, StringComparison.Ordinal);
            Assert.Contains($",{AdminSignIn.Email},", csv, StringComparison.Ordinal);
        });
    }
}
