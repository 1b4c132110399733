using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace SecondServer.ServiceDefaults.Http;

/// <summary>
/// Resolves <c>App:InstanceId</c> once at startup so every part of the process (X-Served-By, logs, the scheduler's
/// run history, the queue's reservations) names itself the same way.
/// </summary>
internal static class InstanceIdentity
{
    public const string Key = "App:InstanceId";

    public static string Resolve(IConfigurationManager configuration, IHostEnvironment environment)
    {
        var configured = configuration[Key];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var port = PortFrom(configuration["urls"]) ?? PortFrom(configuration["ASPNETCORE_URLS"]) ?? FirstOf(configuration["HTTP_PORTS"]);
        var id = port is null
            ? $"{Environment.MachineName}-{environment.ApplicationName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}"
            : $"{Environment.MachineName}:{port}";
        configuration.AddInMemoryCollection([new(Key, id)]);
        return id;
    }

    private static string? PortFrom(string? urls)
    {
        var first = FirstOf(urls);
        if (first is null)
        {
            return null;
        }

        // "http://+:80" and "http://*:80" are not valid URIs; the port is all we need.
        var colon = first.LastIndexOf(':');
        var port = colon < 0 ? null : first[(colon + 1)..].TrimEnd('/');
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? port : null;
    }

    private static string? FirstOf(string? list) =>
        list?.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
