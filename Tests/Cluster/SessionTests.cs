using System.Net;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 2 on the running cluster: signed in through the balancer, signed in on both replicas; signed out on one, out everywhere.</summary>
[Collection("cluster")]
public sealed class SessionTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_session_started_through_the_balancer_works_on_both_replicas_until_signed_out_on_one()
    {
        using var browser = new Browser();
        var email = $"{Guid.NewGuid():N}@example.com";
        await browser.SignUpAndInAsync(cluster.Balancer, email);
        // Kept before the logout: its response deletes the cookie from this browser's jar, so only a replay of the
        // cookie from another client shows that web-1, another process, no longer accepts the session web-2 ended.
        var cookie = browser.Cookie(cluster.Balancer, "ss_auth")!;

        using var onWeb1 = await browser.GetAsync(cluster.Replica(1), "/api/me");
        using var onWeb2 = await browser.GetAsync(cluster.Replica(2), "/api/me");
        using var logout = await browser.PostAsync(cluster.Replica(2), "/api/account/logout");
        using var replayer = new Browser();
        replayer.Cookies.Add(cluster.Replica(1), new Cookie("ss_auth", cookie));
        using var replayedOnWeb1 = await replayer.GetAsync(cluster.Replica(1), "/api/me");

        Assert.Equal(HttpStatusCode.OK, onWeb1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onWeb2.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayedOnWeb1.StatusCode);
    }

    [Fact]
    public async Task A_CSRF_token_from_web_1_passes_on_web_2_and_forged_tokens_fail_on_both()
    {
        using var browser = new Browser();
        using var other = new Browser();
        await browser.SignUpAndInAsync(cluster.Replica(1), $"{Guid.NewGuid():N}@example.com");
        await other.SignUpAndInAsync(cluster.Replica(2), $"{Guid.NewGuid():N}@example.com");

        // Two processes: a token only one of them could read (an in-memory key ring, say) fails here.
        using var onWeb2 = await browser.PutAsync(cluster.Replica(2), "/api/profile", new { displayName = "Issued by web-1" });
        var forgedOnWeb1 = await CsrfProbe.RefusedAsync(browser, other, cluster.Replica(1));
        var forgedOnWeb2 = await CsrfProbe.RefusedAsync(browser, other, cluster.Replica(2));

        Assert.Equal(HttpStatusCode.OK, onWeb2.StatusCode);
        Assert.Equal(CsrfProbe.AllRefused, forgedOnWeb1);
        Assert.Equal(CsrfProbe.AllRefused, forgedOnWeb2);
    }

    [Fact]
    public async Task Failed_sign_ins_on_web_1_and_web_2_count_against_one_limit()
    {
        using var attacker = new Browser();
        var email = $"{Guid.NewGuid():N}@example.com";
        await attacker.SignUpAndInAsync(cluster.Balancer, email);

        // Five failures, the allowance per account and address, split over two processes: a count kept in each
        // process would allow five on each.
        var statuses = new List<HttpStatusCode>();
        foreach (var replica in new[] { 1, 2, 1, 2, 1 })
        {
            using var failed = await attacker.PostAsync(cluster.Replica(replica), "/api/account/login", new { email, password = "wrong password" });
            statuses.Add(failed.StatusCode);
        }

        using var blocked = await attacker.PostAsync(cluster.Replica(2), "/api/account/login", new { email, password = "correct horse battery" });

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
    }
}
