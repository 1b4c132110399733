using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace SecondServer.Infrastructure.Diagnostics.Probes;

/// <summary>A TCP listener as <c>ss -ltn</c> shows it.</summary>
internal sealed record Listener(string Address, int Port);

/// <summary>The TCP listeners of the machine this process runs on.</summary>
internal interface IListenerScan
{
    /// <summary>Every listening socket, or why they could not be listed; never throws.</summary>
    Task<(IReadOnlyList<Listener>? Listeners, string? Error)> ScanAsync(CancellationToken cancellationToken);
}

/// <summary>Through <c>ss -ltnH</c> (iproute2), which every Linux server has.</summary>
internal sealed class ListenerScan : IListenerScan
{
    public async Task<(IReadOnlyList<Listener>? Listeners, string? Error)> ScanAsync(CancellationToken cancellationToken)
    {
        try
        {
            var start = new ProcessStartInfo("ss", "-ltnH") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return (Parse(output), null);
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or OperationCanceledException)
        {
            return (null, ProbeFailure.Describe(ex));
        }
    }

    /// <summary>Local address and port of each line of <c>ss -ltnH</c> (the fourth column: 127.0.0.1:5101, [::]:8080, *:8080).</summary>
    internal static IReadOnlyList<Listener> Parse(string output) =>
    [
        .. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 4)
            .Select(columns => columns[3])
            .Select(local => (Local: local, Colon: local.LastIndexOf(':')))
            .Where(l => l.Colon > 0 && int.TryParse(l.Local[(l.Colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(l => new Listener(l.Local[..l.Colon], int.Parse(l.Local[(l.Colon + 1)..], CultureInfo.InvariantCulture))),
    ];
}
