using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>Sliding idle expiry and the absolute end of a session, on a clock the test moves.</summary>
public sealed class SessionLifetimeTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestDatabase _database = null!;
    private TestHost _web = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var settings = TestHost.SharedSettings(_database.ConnectionString);
        settings["Sessions:IdleTimeout"] = "00:10:00";
        settings["Sessions:AbsoluteTimeout"] = "00:15:00";
        _web = await TestHost.StartWebAsync("web-clock", settings, b => b.Services.AddSingleton<TimeProvider>(_time));
        await _web.WaitUntilReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task An_unused_session_ends_after_the_idle_timeout()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(_web.Address, "idle@example.com");

        _time.Advance(TimeSpan.FromMinutes(11));
        using var me = await browser.GetAsync(_web.Address, "/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Fact]
    public async Task Use_slides_the_idle_timeout_but_not_past_the_absolute_end()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(_web.Address, "busy@example.com");

        var statuses = new List<HttpStatusCode>();
        foreach (var minutes in new[] { 6, 6, 6 })
        {
            _time.Advance(TimeSpan.FromMinutes(minutes));
            using var me = await browser.GetAsync(_web.Address, "/api/me");
            statuses.Add(me.StatusCode);
        }

        // 6 and 12 minutes: each use slides the 10-minute idle window. 18 minutes: past the 15-minute absolute end.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized], statuses);
    }
}
