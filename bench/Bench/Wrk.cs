using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SecondServer.Bench;

/// <summary>One wrk run: requests, rate, latency percentiles and the responses that were not 2xx/3xx.</summary>
internal sealed record WrkResult(long Requests, double PerSecond, double P50Ms, double P99Ms, long Errors);

/// <summary>Runs wrk (2 threads, a fixed number of keep-alive connections) and reads its summary.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, TimeSpan duration, int connections, string? script, IReadOnlyList<string> headers, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var c = CultureInfo.InvariantCulture;
        foreach (var argument in new[] { "-t", Math.Min(2, connections).ToString(c), "-c", connections.ToString(c), "-d", $"{(int)duration.TotalSeconds}s", "--latency" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var header in headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }

        if (script is not null)
        {
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(script);
        }

        start.ArgumentList.Add(url);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = await output;
        if (process.ExitCode != 0 || Summary().Match(text) is not { Success: true } summary)
        {
            throw new InvalidOperationException($"wrk failed for {url} (exit {process.ExitCode}):\n{text}{await errors}");
        }

        var failed = NonSuccess().Match(text) is { Success: true } non ? long.Parse(non.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        foreach (Match socket in SocketErrors().Matches(text))
        {
            failed += long.Parse(socket.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        return new WrkResult(
            long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(Rate().Match(text).Groups[1].Value, CultureInfo.InvariantCulture),
            Percentile(text, "50"),
            Percentile(text, "99"),
            failed);
    }

    private static double Percentile(string text, string percent)
    {
        var match = Regex.Match(text, $@"^\s+{percent}(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success)
        {
            throw new InvalidOperationException($"wrk printed no {percent}th percentile:\n{text}");
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "s" => value * 1000,
            _ => value,
        };
    }

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex Summary();

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex Rate();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrors();
}
