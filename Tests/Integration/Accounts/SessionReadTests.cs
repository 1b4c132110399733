using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Caching;
using SecondServer.Infrastructure.Redis;
using SecondServer.Infrastructure.Sessions;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>
/// What a signed-in read costs: the session and the profile come from Redis in one round trip, and a browser that
/// holds an antiforgery token is not given a new one on every read. Against the suite's real Redis and MariaDB.
/// </summary>
public sealed class SessionReadTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    private string Prefix => _cluster.Settings["Redis:KeyPrefix"]!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 0, null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_signed_in_read_asks_Redis_once_for_the_session_and_the_profile_together()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "reader@example.com", displayName: "Reader");
        // The first read loads the profile into the cache; the reads after it find it there.
        (await browser.GetAsync(Web.Address, "/api/me")).EnsureSuccessStatusCode();
        var redis = Web.Services.GetRequiredService<RedisConnection>().Multiplexer.GetDatabase();

        await using var monitor = await RedisMonitor.StartAsync(TestEnvironment.Redis, ct);
        const int reads = 10;
        for (var i = 0; i < reads; i++)
        {
            using var me = await browser.GetAsync(Web.Address, "/api/me");
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        var commands = (await monitor.ClientCommandsAsync(redis, ct)).Where(c => c.Contains($"\"{Prefix}", StringComparison.Ordinal)).ToList();
        var sessionReads = commands.Where(c => c.Contains($"\"{Prefix}session:", StringComparison.Ordinal)).ToList();
        Assert.Equal(reads, sessionReads.Count);
        Assert.All(sessionReads, c => Assert.Contains($"\"{Prefix}cache:profile:", c, StringComparison.Ordinal));
        Assert.DoesNotContain(commands, c => c.Contains($"\"{Prefix}cache:", StringComparison.Ordinal) && !c.Contains($"\"{Prefix}session:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_read_mints_no_new_antiforgery_token_for_a_browser_that_holds_one_and_issues_one_to_a_browser_that_lost_it()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "holder@example.com");
        var token = browser.Cookie(Web.Address, "XSRF-TOKEN");
        Assert.NotNull(token);

        using var read = await browser.GetAsync(Web.Address, "/api/me");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.False(read.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("XSRF-TOKEN=", StringComparison.Ordinal)));

        using var lost = new Browser();
        lost.Cookies.Add(Web.Address, new Cookie("ss_auth", browser.Cookie(Web.Address, "ss_auth")));
        using var reissued = await lost.GetAsync(Web.Address, "/api/me");
        Assert.Equal(HttpStatusCode.OK, reissued.StatusCode);
        Assert.NotNull(lost.Cookie(Web.Address, "XSRF-TOKEN"));
        using var write = await lost.PutAsync(Web.Address, "/api/profile", new { displayName = "Holder" });
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
    }

    [Fact]
    public async Task A_session_whose_key_has_no_user_id_as_the_previous_release_wrote_it_is_still_read()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = Web.Services.GetRequiredService<RedisTicketStore>();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "4242")], "Cookies"));
        var key = await store.StoreAsync(new AuthenticationTicket(principal, new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.AddHours(1) }, "Cookies"), ct);
        Assert.StartsWith("4242.", key, StringComparison.Ordinal);

        var redis = Web.Services.GetRequiredService<RedisConnection>().Database;
        var previousKey = key["4242.".Length..];
        await redis.StringSetAsync($"session:{previousKey}", await redis.StringGetAsync($"session:{key}"), TimeSpan.FromMinutes(5));
        var context = new DefaultHttpContext { RequestServices = Web.Services };

        var ticket = await store.RetrieveAsync(previousKey, context, ct);

        Assert.Equal("4242", ticket?.Principal.FindFirstValue(ClaimTypes.NameIdentifier));
        Assert.Null(context.Features.Get<PrefetchedEntries>());
    }
}
