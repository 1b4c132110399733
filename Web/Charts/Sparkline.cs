using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace SecondServer.Web.Charts;

/// <summary>
/// A word-sized line chart drawn on the server as inline SVG: no script, no request of its own, readable in any
/// browser and by a screen reader. The figures a glance looks for (now, min, max) are in its title and label, so
/// the picture adds the shape and hides nothing.
/// </summary>
internal static class Sparkline
{
    public const int Width = 100;
    public const int Height = 32;
    private const double Pad = 2;

    /// <summary>
    /// Draws <paramref name="points"/> (oldest first, equally spaced in time; null for a gap, where the line breaks).
    /// The vertical scale starts at zero, so a flat line near the bottom means "little", not "steady at a peak".
    /// </summary>
    /// <param name="points">The values, oldest first.</param>
    /// <param name="what">What is drawn, for the label: "web-1 requests per second over the last 10 minutes".</param>
    /// <param name="unit">Appended to each figure: " req/s", " ms".</param>
    public static IHtmlContent Render(IReadOnlyList<double?> points, string what, string unit)
    {
        var known = points.Where(p => p is not null).Select(p => p!.Value).ToList();
        var summary = known.Count == 0
            ? $"{what}: no samples yet"
            : $"{what}: now {ChartPlot.Figure(points.LastOrDefault(p => p is not null)!.Value)}{unit}, min {ChartPlot.Figure(known.Min())}{unit}, max {ChartPlot.Figure(known.Max())}{unit}";
        var top = known.Count == 0 ? 1 : Math.Max(known.Max(), 1e-9);
        var step = points.Count > 1 ? (Width - (2 * Pad)) / (points.Count - 1) : 0;
        var runs = ChartPlot.Runs(points, i => Pad + (i * step), value => Height - Pad - (value / top * (Height - (2 * Pad))));
        var label = HtmlEncoder.Default.Encode(summary);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg class="sparkline" role="img" aria-label="{label}" """);
        svg.Append(CultureInfo.InvariantCulture, $"""width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" xmlns="http://www.w3.org/2000/svg">""");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{label}</title>");
        svg.Append(CultureInfo.InvariantCulture, $"""<line x1="0" y1="{Height - Pad}" x2="{Width}" y2="{Height - Pad}" class="sparkline-base" />""");
        foreach (var run in runs)
        {
            // A lone point has no segment to draw: a dot shows it.
            svg.Append(run.Count > 1
                ? $"""<polyline points="{ChartPlot.Points(run)}" class="sparkline-line" />"""
                : string.Create(CultureInfo.InvariantCulture, $"""<circle cx="{run[0].X:0.#}" cy="{run[0].Y:0.#}" r="1.5" class="sparkline-dot" />"""));
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }
}
