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

        using var onWeb1 = await browser.GetAsync(cluster.Replica(1), "/api/me");
        using var onWeb2 = await browser.GetAsync(cluster.Replica(2), "/api/me");
        using var logout = await browser.PostAsync(cluster.Replica(2), "/api/account/logout");
        using var afterOnWeb1 = await browser.GetAsync(cluster.Replica(1), "/api/me");

        Assert.Equal(HttpStatusCode.OK, onWeb1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onWeb2.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterOnWeb1.StatusCode);
    }
}
