using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Scheduling;

/// <summary>
/// "Run now" on the schedule page of two real replicas over real Redis and MariaDB: the same click reaching both
/// runs the job once, recorded as a manual run with who asked, and the page shows it as one line.
/// </summary>
public sealed partial class RunNowTests : IAsyncLifetime
{
    private const string Job = "probe";
    private const string Admin = "ops@example.com";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly JobProbe _probe = new();
    private TestCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestHost Web1 => _cluster.Web(1);

    private TestHost Web2 => _cluster.Web(2);

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(2, 0, o =>
    {
        o.Settings["Admin:Emails:0"] = Admin;
        o.ConfigureWeb = builder =>
        {
            builder.Services.AddSingleton(_probe);
            // Never due during the test: only "run now" runs it.
            builder.Services.AddSchedule(s => s.Job<ProbeJob>().Named(Job).DailyAt("03:00").OnOneServer().WithoutOverlapping());
        };
    }, Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task One_click_received_by_both_replicas_runs_the_job_once_recorded_as_manual_and_shown_as_one_line()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web1.Address, Admin);
        var (token, slot) = await RunNowFormAsync(browser, Web1);

        // The same form, token and all, reaches both replicas at once: a double submit, or a balancer resending it.
        var fields = new Dictionary<string, string> { ["job"] = Job, ["slot"] = slot };
        var posted = await Task.WhenAll(
            browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", token, fields),
            browser.PostFormAsync(Web2.Address, "/admin/schedule?handler=RunNow", token, fields));
        Assert.All(posted, p => Assert.Equal(HttpStatusCode.Redirect, p.StatusCode));
        foreach (var response in posted)
        {
            response.Dispose();
        }

        var history = Web1.Services.GetRequiredService<ScheduleHistory>();
        var runs = await Eventually.WaitAsync(
            () => history.QueryAsync(Job, 10, Ct),
            r => r.Count == 2 && r.All(x => x.Status != ScheduleRunStatus.Running),
            Patience,
            "both replicas' answers to the click, the run finished");
        var ran = Assert.Single(runs, r => r.Status == ScheduleRunStatus.Ok);
        var stoodDown = Assert.Single(runs, r => r.Status == ScheduleRunStatus.SkippedOtherServer);
        Assert.Equal(Admin, ran.RequestedBy);
        Assert.Equal(Admin, stoodDown.RequestedBy);
        Assert.NotEqual(ran.Instance, stoodDown.Instance);
        Assert.True(ManualRuns.TryRead(slot, out var manualSlot));
        Assert.Equal(manualSlot, ran.Slot);
        Assert.Single(_probe.Executions);
        Assert.Equal(Admin, Assert.Single(_probe.Executions).RequestedBy);

        using var page = await browser.GetAsync(Web2.Address, "/admin/schedule");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var line = Assert.Single(SlotLine().Matches(html), m => m.Groups["job"].Value == Job);
        Assert.Equal("1", line.Groups["stood"].Value);
        Assert.Contains($"data-requested-by=\"{Admin}\"", line.Value, StringComparison.Ordinal);
        Assert.Contains($"<td data-ran-on>{ran.Instance}</td>", line.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_click_on_a_fresh_page_runs_again_and_a_stale_or_forged_slot_runs_nothing()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web1.Address, Admin);
        var (token, slot) = await RunNowFormAsync(browser, Web1);
        using (await browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", token, new() { ["job"] = Job, ["slot"] = slot }))
        {
        }

        var (token2, slot2) = await RunNowFormAsync(browser, Web2);
        Assert.NotEqual(slot, slot2);
        using (await browser.PostFormAsync(Web2.Address, "/admin/schedule?handler=RunNow", token2, new() { ["job"] = Job, ["slot"] = slot2 }))
        {
        }

        var stale = ManualRuns.Write(DateTimeOffset.UtcNow.AddMinutes(-5).AddTicks(1230));
        using var refused = await browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", token, new() { ["job"] = Job, ["slot"] = stale });
        using var wholeSecond = await browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", token, new() { ["job"] = Job, ["slot"] = "2026-11-30T10:00:05.000000Z" });
        using var unknown = await browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", token, new() { ["job"] = "nope", ["slot"] = slot });
        // A forged form: no header token to fall back on, as from another site's page.
        browser.SendXsrfHeader = false;
        using var forged = await browser.PostFormAsync(Web1.Address, "/admin/schedule?handler=RunNow", "not-a-token", new() { ["job"] = Job, ["slot"] = slot2 });

        await Eventually.WaitAsync(() => Task.FromResult(_probe.Executions.Count), n => n == 2, Patience, "the two clicks' runs");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (wholeSecond.StatusCode, wholeSecond.Content.Headers.ContentType?.MediaType));
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (unknown.StatusCode, unknown.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var runs = await Web1.Services.GetRequiredService<ScheduleHistory>().QueryAsync(Job, 10, Ct);
        Assert.Equal(2, runs.Count);
        Assert.Equal(2, _probe.Executions.Count);
    }

    private static async Task<(string Token, string Slot)> RunNowFormAsync(Browser browser, TestHost host)
    {
        using var page = await browser.GetAsync(host.Address, "/admin/schedule");
        var html = await page.Content.ReadAsStringAsync(Ct);
        var form = RunNowForm().Match(html[html.IndexOf($"data-schedule=\"{Job}\"", StringComparison.Ordinal)..]);
        Assert.True(form.Success, "the probe's row has no run-now form");
        return (form.Groups["token"].Value, WebUtility.HtmlDecode(form.Groups["slot"].Value));
    }

    [GeneratedRegex("""name="slot" value="(?<slot>[^"]+)".*?name="__RequestVerificationToken" type="hidden" value="(?<token>[^"]+)""", RegexOptions.Singleline)]
    private static partial Regex RunNowForm();

    [GeneratedRegex("""<tr data-job="(?<job>[^"]+)" data-slot="[^"]+" data-stood-down="(?<stood>\d+)">.*?</tr>""", RegexOptions.Singleline)]
    private static partial Regex SlotLine();
}
