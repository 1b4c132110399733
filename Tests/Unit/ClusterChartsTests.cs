using System.Text.RegularExpressions;
using SecondServer.Web.Charts;
using SecondServer.Web.Cluster;

namespace SecondServer.Tests.Unit;

/// <summary>The cluster page's charts and histories from balancer samples: pure functions of what HAProxy said.</summary>
public sealed class ClusterChartsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_sparkline_is_an_accessible_svg_naming_its_figures_and_breaking_at_gaps()
    {
        var svg = Sparkline.Render([1, 3, null, 2, 8], "web-1 requests per second", " req/s").ToString()!;

        Assert.StartsWith("<svg class=\"sparkline\" role=\"img\" aria-label=\"web-1 requests per second: now 8 req/s, min 1 req/s, max 8 req/s\"", svg, StringComparison.Ordinal);
        Assert.Contains("<title>web-1 requests per second: now 8 req/s, min 1 req/s, max 8 req/s</title>", svg, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(svg, "<polyline ").Count);
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        // The peak touches the top (less the padding), zero sits on the base line.
        Assert.Contains("98,2\"", svg, StringComparison.Ordinal);
        Assert.Contains("no samples yet", Sparkline.Render([null, null], "web-2 <b>", " ms").ToString(), StringComparison.Ordinal);
        Assert.Contains("web-2 &lt;b&gt;", Sparkline.Render([], "web-2 <b>", " ms").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rates_come_from_counter_deltas_and_a_counter_reset_or_missing_server_is_a_gap()
    {
        var samples = new[]
        {
            Sample(0, ("web-1", "UP", 100, 12, 300)),
            Sample(5, ("web-1", "UP", 150, 14, 305)),
            Sample(10, ("web-1", "UP", 20, 9, 1)), // HAProxy restarted: counters start again.
            Sample(15),
            Sample(20, ("web-1", "UP", 70, 11, 11)),
        };

        Assert.Equal([10, null, null, null], BalancerHistory.RequestRates(samples, "web-1"));
        Assert.Equal([12, 14, 9, null, 11], BalancerHistory.ResponseTimes(samples, "web-1"));
    }

    [Fact]
    public void A_replica_leaving_and_rejoining_the_pool_is_dated_by_how_long_its_new_state_had_lasted()
    {
        var samples = new[]
        {
            Sample(0, ("web-1", "UP", 1, 1, 600), ("web-2", "UP", 1, 1, 600)),
            Sample(5, ("web-1", "DRAIN", 1, 1, 2), ("web-2", "UP 2/3", 1, 1, 605)),
            Sample(10, ("web-1", "DOWN 1/2", 1, 1, 1), ("web-2", "UP", 1, 1, 610)),
            Sample(15, ("web-1", "UP", 1, 1, 4), ("web-2", "UP", 1, 1, 615)),
        };

        Assert.Equal(
            [
                new PoolChange("web-1", "UP", "DRAIN", T0.AddSeconds(3)),
                new PoolChange("web-1", "DRAIN", "DOWN", T0.AddSeconds(9)),
                new PoolChange("web-1", "DOWN", "UP", T0.AddSeconds(11), TimeSpan.FromSeconds(8)),
            ],
            BalancerHistory.Changes(samples));
    }

    private static BalancerSample Sample(int seconds, params (string Name, string Status, long Requests, long Rtime, long InState)[] servers) =>
        new(T0.AddSeconds(seconds), [.. servers.Select(s => new ServerSample(s.Name, s.Status, s.Requests, s.Rtime, s.InState))]);
}
