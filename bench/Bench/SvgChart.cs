using System.Globalization;
using System.Security;
using System.Text;

namespace SecondServer.Bench;

/// <summary>A part of a bar: one series' value.</summary>
internal sealed record BarSegment(string Series, double Value);

/// <summary>A labelled bar made of stacked segments; a bar with an empty label and no segments is a gap.</summary>
internal sealed record ChartBar(string Label, IReadOnlyList<BarSegment> Segments);

/// <summary>Horizontal stacked bar charts as self-contained SVG, readable on GitHub and in any browser.</summary>
internal static class SvgChart
{
    private const int Width = 860;
    private const int LabelWidth = 250;
    private const int BarArea = 480;
    private const int RowHeight = 20;
    private const int RowGap = 6;
    private const int Top = 58;

    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f"];

    public static string StackedBars(string title, string unit, IReadOnlyList<string> series, IReadOnlyList<ChartBar> bars)
    {
        var c = CultureInfo.InvariantCulture;
        var max = Math.Max(1, bars.Max(b => b.Segments.Sum(s => s.Value)));
        var height = Top + (bars.Count * (RowHeight + RowGap)) + 10;
        var svg = new StringBuilder();
        svg.AppendLine(c, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(c, $"""<rect width="{Width}" height="{height}" fill="#ffffff"/>""");
        svg.AppendLine(c, $"""<text x="10" y="20" font-size="15" font-weight="bold">{Escape(title)}</text>""");
        var legendX = 10;
        for (var i = 0; i < series.Count; i++)
        {
            svg.AppendLine(c, $"""<rect x="{legendX}" y="32" width="12" height="12" fill="{Palette[i % Palette.Length]}"/>""");
            svg.AppendLine(c, $"""<text x="{legendX + 16}" y="43">{Escape(series[i])}</text>""");
            legendX += 30 + (series[i].Length * 7);
        }

        var y = Top;
        foreach (var bar in bars)
        {
            if (bar.Segments.Count > 0)
            {
                svg.AppendLine(c, $"""<text x="{LabelWidth - 8}" y="{y + 14}" text-anchor="end">{Escape(bar.Label)}</text>""");
                double x = LabelWidth;
                foreach (var segment in bar.Segments)
                {
                    var width = segment.Value / max * BarArea;
                    var colour = Palette[Math.Max(0, IndexOf(series, segment.Series)) % Palette.Length];
                    var tooltip = $"{Escape(segment.Series)}: {segment.Value.ToString("0.#", c)} {Escape(unit)}";
                    svg.AppendLine(c, $"""<rect x="{x:0.0}" y="{y}" width="{width:0.0}" height="{RowHeight}" fill="{colour}"><title>{tooltip}</title></rect>""");
                    x += width;
                }

                svg.AppendLine(c, $"""<text x="{x + 6:0.0}" y="{y + 14}">{bar.Segments.Sum(s => s.Value):N0} {Escape(unit)}</text>""");
            }

            y += RowHeight + RowGap;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> series, string name)
    {
        for (var i = 0; i < series.Count; i++)
        {
            if (series[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;
}
