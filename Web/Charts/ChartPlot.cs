using System.Globalization;

namespace SecondServer.Web.Charts;

/// <summary>
/// What every chart of the operator pages shares: measured values become runs of plotted points, a gap (nothing
/// measured) breaking the line rather than reading as zero, and figures are read out the same way everywhere.
/// </summary>
internal static class ChartPlot
{
    /// <summary>
    /// The runs of consecutive measured values, each point placed by <paramref name="x"/> (from its index) and
    /// <paramref name="y"/> (from its value).
    /// </summary>
    public static List<List<(double X, double Y)>> Runs(IReadOnlyList<double?> values, Func<int, double> x, Func<double, double> y)
    {
        var runs = new List<List<(double X, double Y)>>();
        List<(double X, double Y)>? run = null;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value)
            {
                run = null;
                continue;
            }

            if (run is null)
            {
                runs.Add(run = []);
            }

            run.Add((x(i), y(value)));
        }

        return runs;
    }

    /// <summary>SVG's list of points: "x,y x,y ...".</summary>
    public static string Points(IEnumerable<(double X, double Y)> points) =>
        string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:0.#},{p.Y:0.#}")));

    /// <summary>Three significant figures at most, with k and M for large values.</summary>
    public static string Figure(double value) => Math.Abs(value) switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}
