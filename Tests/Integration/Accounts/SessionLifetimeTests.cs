using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>Sliding idle expiry and the absolute end of a session, on a clock the test moves.</summary>
public sealed class SessionLifetimeTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 0, o =>
    {
        o.Name = "clock";
        o.Settings["Sessions:IdleTimeout"] = "00:10:00";
        o.Settings["Sessions:AbsoluteTimeout"] = "00:15:00";
        o.ConfigureWeb = b => b.Services.AddSingleton<TimeProvider>(_time);
    }, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_unused_session_ends_after_the_idle_timeout()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "idle@example.com");

        _time.Advance(TimeSpan.FromMinutes(11));
        using var me = await browser.GetAsync(Web.Address, "/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task Use_slides_the_idle_timeout_but_not_past_the_absolute_end()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "busy@example.com");

        var statuses = new List<HttpStatusCode>();
        foreach (var minutes in new[] { 6, 6, 6 })
        {
            _time.Advance(TimeSpan.FromMinutes(minutes));
            using var me = await browser.GetAsync(Web.Address, "/api/me");
            statuses.Add(me.StatusCode);
        }

        // 6 and 12 minutes: each use slides the 10-minute idle window. 18 minutes: past the 15-minute absolute end.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized], statuses);
    }
}
