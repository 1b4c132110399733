using System.Globalization;

namespace SecondServer.Bench;

/// <summary>A server process measured by its pid: CPU time and resident memory from /proc.</summary>
internal sealed record MeasuredProcess(string Name, int Pid)
{
    // Linux reports user and system time in clock ticks of 1/100 s (USER_HZ) on every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU time used so far.</summary>
    public TimeSpan Cpu()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Resident memory in MB.</summary>
    public double ResidentMegabytes()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary><c>name=pid,name=pid</c>.</summary>
    public static List<MeasuredProcess> ParseList(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(pair => new MeasuredProcess(pair[0], int.Parse(pair[1], CultureInfo.InvariantCulture)))];
}
