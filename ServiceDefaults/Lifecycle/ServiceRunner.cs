using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a host and turns configuration errors into one readable line and a distinct exit code.</summary>
public static class ServiceRunner
{
    /// <summary>Exit code for invalid configuration (sysexits' EX_CONFIG), so a process manager can tell it from a crash.</summary>
    public const int ConfigurationError = 78;

    /// <summary>Runs the host until it stops; returns the process exit code.</summary>
    public static async Task<int> RunServiceAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            await host.RunAsync();
            return Environment.ExitCode;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"startup failed: invalid configuration: {string.Join(" ", ex.Failures)}");
            return ConfigurationError;
        }
    }
}
