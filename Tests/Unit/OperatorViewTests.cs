using System.Xml.Linq;
using SecondServer.Infrastructure.Queue;
using SecondServer.Web.Admin;
using SecondServer.Web.Charts;

namespace SecondServer.Tests.Unit;

/// <summary>The pieces of the operator pages that need no server: the chart, the run-time histogram, redaction.</summary>
public sealed class OperatorViewTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_chart_is_an_accessible_image_that_says_its_key_figures_and_breaks_its_line_at_gaps()
    {
        var points = new TimePoint[] { new(Start, 4), new(Start.AddMinutes(1), 12), new(Start.AddMinutes(2), null), new(Start.AddMinutes(3), 6), new(Start.AddMinutes(4), 8) };
        var html = TimeSeriesChart.Render(new TimeSeries("jobs", "Jobs per minute <default>", "jobs/min", points)).ToString()!;

        var svg = XElement.Parse(html);
        XNamespace none = "";
        Assert.Equal("img", (string?)svg.Attribute("role"));
        Assert.Equal("jobs-title jobs-desc", (string?)svg.Attribute("aria-labelledby"));
        Assert.Equal("Jobs per minute <default>", svg.Element(none + "title")!.Value);
        var label = (string)svg.Attribute("aria-label")!;
        Assert.Equal("Jobs per minute <default>: latest 8 jobs/min at 12:04 UTC, peak 12 jobs/min at 12:01 UTC, mean 7.5 jobs/min.", label);
        Assert.Equal(label, svg.Element(none + "desc")!.Value);
        // Two runs of measured points around the gap: two lines, none drawn through the missing minute.
        Assert.Equal(2, svg.Elements(none + "polyline").Count());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        // The y axis tops out at a round figure at or above the peak.
        Assert.Contains(svg.Elements(none + "text"), t => t.Value == "20");
    }

    [Fact]
    public void A_chart_without_data_says_so()
    {
        var html = TimeSeriesChart.Render(new TimeSeries("wait", "Mean wait", "ms", [new(Start, null), new(Start.AddMinutes(1), null)])).ToString()!;

        Assert.Contains("aria-label=\"Mean wait: no data.\"", html, StringComparison.Ordinal);
        Assert.Contains(">no data</text>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_run_time_histogram_reads_percentiles_at_most_a_fifth_high()
    {
        var runs = Enumerable.Range(1, 1000).Select(i => (new JobRun("t", Start, TimeSpan.FromMilliseconds(i), null, "w", null), true));
        var figures = QueueMetrics.Parse(QueueMetrics.Increments(runs))["t"];

        Assert.Equal(1000, figures.Succeeded);
        Assert.Equal(500.5, figures.MeanRunMs);
        Assert.InRange(figures.PercentileRunMs(95)!.Value, 950, 950 * 1.19);
        Assert.InRange(figures.PercentileRunMs(50)!.Value, 500, 500 * 1.19);
        Assert.Null(new TypeFigures().PercentileRunMs(95));
    }

    [Fact]
    public void Job_types_with_colons_and_pipes_keep_their_counters_apart()
    {
        var runs = new[]
        {
            (new JobRun("report:generate", Start, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(4), "w", null), true),
            (new JobRun("a|b", Start, TimeSpan.FromMilliseconds(30), null, "w", "boom"), false),
        };
        var types = QueueMetrics.Parse(QueueMetrics.Increments(runs));

        Assert.Equal((1L, 0L, 4.0), (types["report:generate"].Succeeded, types["report:generate"].Failed, types["report:generate"].MeanWaitMs!.Value));
        Assert.Equal((0L, 1L, 30.0), (types["a|b"].Succeeded, types["a|b"].Failed, types["a|b"].MeanRunMs!.Value));
    }

    [Fact]
    public void Redaction_hides_secret_looking_values_at_any_depth_and_keeps_the_rest()
    {
        var redacted = PayloadRedaction.Redact(
            """{"id":"j1","traceparent":"00-abc","payload":""" +
            """{"email":"a@example.com","password":"hunter2","nested":[{"apiKey":"k-1","accessToken":"t-1","keyword":"keep"}]}}""");

        Assert.DoesNotContain("hunter2", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("k-1", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("t-1", redacted, StringComparison.Ordinal);
        Assert.Contains("a@example.com", redacted, StringComparison.Ordinal);
        Assert.Contains("00-abc", redacted, StringComparison.Ordinal);
        Assert.Contains("keep", redacted, StringComparison.Ordinal);
        Assert.Equal("[redacted] (not JSON)", PayloadRedaction.Redact("password=hunter2"));
    }
}
