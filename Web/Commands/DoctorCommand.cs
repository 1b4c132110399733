using System.Diagnostics;
using SecondServer.Web.Doctor;

namespace SecondServer.Web.Commands;

/// <summary>
/// <c>dotnet Web.dll doctor ...</c> (run by <c>scripts/doctor</c>): checks the running cluster against the seven
/// rules of adding a second server and prints one PASS/FAIL line per rule with its evidence and, on failure, the
/// fix. Exit 0 when every rule passes, 1 when one fails, 64 on bad arguments. It builds no host, only the probes the
/// pages use: it needs no settings of its own and looks at the cluster only from outside, as an operator would.
/// </summary>
internal static class DoctorCommand
{
    public const int RuleFailed = 1;

    /// <summary>sysexits' EX_USAGE.</summary>
    public const int UsageError = 64;

    public static async Task<int> RunAsync(string[] args)
    {
        DoctorSettings settings;
        try
        {
            settings = DoctorSettings.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"doctor: {ex.Message}\n{DoctorSettings.Usage}");
            return UsageError;
        }

        var watch = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var services = new ServiceCollection().AddClusterObserver().BuildServiceProvider();
        var cluster = await services.GetRequiredService<ClusterObserver>().ObserveAsync(settings, cancel.Token);
        var failed = 0;
        foreach (var rule in DoctorRules.All)
        {
            var result = rule.Check(cluster);
            failed += result.Passed ? 0 : 1;
            Console.WriteLine(DoctorRules.Line(rule, result));
        }

        Console.WriteLine(failed == 0
            ? $"doctor: all {DoctorRules.All.Count} rules pass ({watch.ElapsedMilliseconds} ms)"
            : $"doctor: {failed} of {DoctorRules.All.Count} rules fail ({watch.ElapsedMilliseconds} ms)");
        return failed == 0 ? 0 : RuleFailed;
    }
}
