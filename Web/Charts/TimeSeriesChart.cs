using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace SecondServer.Web.Charts;

/// <summary>One value at one time; null where nothing was measured (a gap, not a zero).</summary>
internal readonly record struct TimePoint(DateTimeOffset At, double? Value);

/// <summary>What a time-series chart shows: its name, what one value means, and the points, oldest first.</summary>
/// <param name="Id">Unique on the page: the chart's title and description are referenced by it.</param>
/// <param name="Title">What is measured, e.g. "Jobs per minute, last hour".</param>
/// <param name="Unit">Appended to every figure read out, e.g. "jobs/min" or "ms".</param>
/// <param name="Points">Evenly spaced, oldest first.</param>
internal sealed record TimeSeries(string Id, string Title, string Unit, IReadOnlyList<TimePoint> Points);

/// <summary>
/// A line chart as inline SVG, rendered on the server: no script, so it shows in every browser, in a page that
/// refreshes itself, and to a screen reader. The image carries <c>role="img"</c>, a <c>&lt;title&gt;</c> and a
/// <c>&lt;desc&gt;</c>, and an <c>aria-label</c> that says the key figures (latest, peak, mean, over what span),
/// which is what a glance at the chart tells a sighted reader.
/// </summary>
internal static class TimeSeriesChart
{
    private const int Width = 480;
    private const int Height = 150;
    private const int Left = 44;
    private const int Right = 8;
    private const int Top = 10;
    private const int Bottom = 22;

    public static IHtmlContent Render(TimeSeries series)
    {
        var html = HtmlEncoder.Default;
        var measured = series.Points.Where(p => p.Value.HasValue).Select(p => p.Value!.Value).ToList();
        var summary = Summary(series, measured);
        var top = NiceCeiling(measured.Count == 0 ? 0 : measured.Max());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var step = series.Points.Count > 1 ? (double)plotWidth / (series.Points.Count - 1) : 0;

        var svg = new StringBuilder(2048);
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="chart" viewBox="0 0 {Width} {Height}" role="img" """);
        svg.Append(CultureInfo.InvariantCulture, $"""aria-labelledby="{html.Encode(series.Id)}-title {html.Encode(series.Id)}-desc" """);
        svg.Append(CultureInfo.InvariantCulture, $"""aria-label="{html.Encode(summary)}" data-chart="{html.Encode(series.Id)}" preserveAspectRatio="xMidYMid meet">""");
        svg.Append(CultureInfo.InvariantCulture, $"""<title id="{html.Encode(series.Id)}-title">{html.Encode(series.Title)}</title>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<desc id="{html.Encode(series.Id)}-desc">{html.Encode(summary)}</desc>""");

        // Grid and y labels at 0, half and the top: enough to read a magnitude, few enough to stay quiet.
        foreach (var fraction in new[] { 0.0, 0.5, 1.0 })
        {
            var y = Top + plotHeight - (fraction * plotHeight);
            svg.Append(CultureInfo.InvariantCulture, $"""<line class="grid" x1="{Left}" x2="{Width - Right}" y1="{y:0.#}" y2="{y:0.#}" />""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text class="axis" x="{Left - 4}" y="{y + 4:0.#}" text-anchor="end">{html.Encode(ChartPlot.Figure(top * fraction))}</text>""");
        }

        if (series.Points.Count > 0)
        {
            var first = series.Points[0].At;
            var last = series.Points[^1].At;
            svg.Append(CultureInfo.InvariantCulture, $"""<text class="axis" x="{Left}" y="{Height - 6}" text-anchor="start">{Clock(first, last - first)}</text>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text class="axis" x="{Width - Right}" y="{Height - 6}" text-anchor="end">{Clock(last, last - first)} UTC</text>""");
        }

        // Gaps break the line: each run of measured points is its own path, with its own filled area.
        var runs = ChartPlot.Runs([.. series.Points.Select(p => p.Value)], i => Left + (i * step), value => Top + plotHeight - (top == 0 ? 0 : value / top * plotHeight));
        var baseline = Top + plotHeight;
        foreach (var points in runs)
        {
            var line = ChartPlot.Points(points);
            if (points.Count == 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"""<circle class="dot" cx="{points[0].X:0.#}" cy="{points[0].Y:0.#}" r="2" />""");
                continue;
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<polygon class="area" points="{points[0].X:0.#},{baseline} {line} {points[^1].X:0.#},{baseline}" />""");
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline class="line" points="{line}" />""");
        }

        if (measured.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<text class="axis" x="{Left + (plotWidth / 2)}" y="{Top + (plotHeight / 2)}" text-anchor="middle">no data</text>""");
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    /// <summary>The figures a reader takes from the chart, in words.</summary>
    public static string Summary(TimeSeries series, IReadOnlyList<double> measured)
    {
        if (measured.Count == 0)
        {
            return $"{series.Title}: no data.";
        }

        var latest = series.Points.Last(p => p.Value.HasValue);
        var peak = series.Points.Where(p => p.Value.HasValue).MaxBy(p => p.Value!.Value);
        return string.Create(CultureInfo.InvariantCulture,
            $"{series.Title}: latest {ChartPlot.Figure(latest.Value!.Value)} {series.Unit} at {latest.At:HH:mm} UTC, " +
            $"peak {ChartPlot.Figure(peak.Value!.Value)} {series.Unit} at {peak.At:HH:mm} UTC, " +
            $"mean {ChartPlot.Figure(measured.Average())} {series.Unit}.");
    }

    private static string Clock(DateTimeOffset at, TimeSpan span) =>
        at.UtcDateTime.ToString(span > TimeSpan.FromHours(20) ? "MM-dd HH:mm" : "HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The y axis' top: 1, 2 or 5 times a power of ten, at or above the peak.</summary>
    private static double NiceCeiling(double peak)
    {
        if (peak <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(peak)));
        foreach (var factor in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (peak <= factor * magnitude)
            {
                return factor * magnitude;
            }
        }

        return 10 * magnitude;
    }
}
