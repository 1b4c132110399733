using System.Globalization;

namespace SecondServer.Infrastructure.Diagnostics.Balancer;

/// <summary>
/// One row of HAProxy's <c>show stat</c> for a server of the backend: its state (UP, DOWN, DRAIN, MAINT...), the last
/// health check's outcome (L7OK, L7STS, L4CON...), how long it has been in that state, the sessions it has served,
/// the requests it has served (counters since HAProxy started) and its average response time over its last 1024
/// requests.
/// </summary>
internal sealed record BackendServer(string Name, string Status, string? LastCheck = null, TimeSpan? InStateFor = null, long? Sessions = null, long? Requests = null, long? ResponseTimeMs = null);

/// <summary>
/// The one reader of <c>show stat</c>'s CSV: columns are located by the header's names, never by number, since
/// HAProxy adds columns from one version to the next.
/// </summary>
internal static class HaproxyStat
{
    /// <summary>The runtime API command whose answer <see cref="Parse"/> reads.</summary>
    public const string Command = "show stat";

    /// <summary>The servers of <paramref name="backend"/>, without its FRONTEND and BACKEND summary rows.</summary>
    public static IReadOnlyList<BackendServer> Parse(string csv, string backend)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Split(',') ?? [];
        var status = Array.IndexOf(header, "status");
        if (status < 0)
        {
            return [];
        }

        string? Field(string[] fields, string name) =>
            Array.IndexOf(header, name) is var i and >= 0 && i < fields.Length && fields[i].Length > 0 ? fields[i] : null;
        long? Number(string[] fields, string name) =>
            long.TryParse(Field(fields, name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        return
        [
            .. lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(','))
                .Where(f => f.Length > status && f[0] == backend && f[1] is not ("BACKEND" or "FRONTEND"))
                // check_status starts with "* " while a check is in flight; the outcome is the rest.
                .Select(f => new BackendServer(f[1], f[status], Field(f, "check_status")?.TrimStart('*', ' '),
                    Number(f, "lastchg") is { } seconds ? TimeSpan.FromSeconds(seconds) : null, Number(f, "stot"),
                    // HTTP requests where HAProxy counts them per server, else its sessions (one per request in HTTP mode).
                    Number(f, "req_tot") ?? Number(f, "stot"), Number(f, "rtime"))),
        ];
    }
}
