using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Scheduling;

/// <summary>
/// <c>GET /api/admin/schedule/runs</c> over HTTP on two replicas with the real clock: the built-in heartbeat runs
/// every 5 s on one of them (contract), and only administrators may see it.
/// </summary>
public sealed class ScheduleAdminEndpointTests : IAsyncLifetime
{
    private const string Admin = "admin@example.com";
    private TestCluster _cluster = null!;

    private TestHost Web1 => _cluster.Web(1);

    private TestHost Web2 => _cluster.Web(2);

    public async ValueTask InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(2, 0, o => o.Settings["Admin:Emails:0"] = Admin, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_admin_sees_each_heartbeat_slot_run_once_with_the_instance_that_ran_it()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web1.Address, Admin);

        // A slot after the first, so both replicas were up for it, and both have recorded their try.
        var runs = await Eventually.WaitAsync(
            () => RunsAsync(browser, "heartbeat"),
            r => BothTried(r) is not null,
            TimeSpan.FromSeconds(30),
            "a heartbeat slot tried by both replicas");

        var slot = BothTried(runs)!.Value;
        var ran = runs.Single(r => Slot(r) == slot && r.GetProperty("status").GetString() == "ok");
        Assert.Equal(["job", "slot", "instance", "startedAt", "finishedAt", "status", "error"], ran.EnumerateObject().Select(p => p.Name));
        Assert.Equal("heartbeat", ran.GetProperty("job").GetString());
        Assert.Contains(ran.GetProperty("instance").GetString(), new[] { "web-1", "web-2" });
        Assert.Equal(0, slot.Second % 5);
        Assert.Equal(0, slot.Millisecond);
        Assert.InRange(ran.GetProperty("startedAt").GetDateTimeOffset(), slot, slot.AddSeconds(30));
        Assert.True(ran.GetProperty("finishedAt").GetDateTimeOffset() >= ran.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, ran.GetProperty("error").ValueKind);
        var tries = runs.Where(r => Slot(r) == slot).Select(r => r.GetProperty("status").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["ok", "skipped-other-server"], tries);
        Assert.Equal(runs.Select(Slot).OrderDescending(), runs.Select(Slot));
    }

    [Fact]
    public async Task Signed_in_non_admins_get_403_and_anonymous_callers_401()
    {
        using var user = new Browser();
        await user.SignUpAndInAsync(Web1.Address, "ann@example.com");
        using var anonymous = new Browser();

        using var forbidden = await user.GetAsync(Web2.Address, "/api/admin/schedule/runs?job=heartbeat");
        using var unauthenticated = await anonymous.GetAsync(Web2.Address, "/api/admin/schedule/runs?job=heartbeat");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task A_limit_out_of_range_is_a_problem(int limit)
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web1.Address, Admin);

        using var response = await browser.GetAsync(Web2.Address, $"/api/admin/schedule/runs?limit={limit.ToString(CultureInfo.InvariantCulture)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static DateTimeOffset Slot(JsonElement run) => run.GetProperty("slot").GetDateTimeOffset();

    private static DateTimeOffset? BothTried(List<JsonElement> runs)
    {
        if (runs.Count == 0)
        {
            return null;
        }

        var earliest = runs.Min(Slot);
        return runs.GroupBy(Slot).Where(g => g.Key > earliest && g.Count() == 2 && g.All(r => r.GetProperty("status").GetString() != "running")).Select(g => (DateTimeOffset?)g.Key).FirstOrDefault();
    }

    private async Task<List<JsonElement>> RunsAsync(Browser browser, string job)
    {
        using var response = await browser.GetAsync(Web2.Address, $"/api/admin/schedule/runs?job={job}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return [.. body.EnumerateArray()];
    }
}
