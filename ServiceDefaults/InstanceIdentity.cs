using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SecondServer.ServiceDefaults;

/// <summary>
/// This process's name among the replicas (<c>web-1</c>, <c>worker-1</c>): <c>App:InstanceId</c>, or else the host
/// name and port. Resolved once per process, so every place that names the process (X-Served-By, telemetry, problem
/// details, the scheduler's claims, the queue's reservations, diagnostics) says the same.
/// </summary>
public sealed class InstanceIdentity
{
    internal const string Key = "App:InstanceId";

    internal InstanceIdentity(string name) => Name = name;

    /// <summary>The replica's name.</summary>
    public string Name { get; }

    /// <summary>The replica's name.</summary>
    public override string ToString() => Name;

    /// <summary>
    /// The identity registered in <paramref name="builder"/>'s services, resolved and registered on the first call,
    /// so registrations that need the name while the host is built (the Redis client name) get the same one.
    /// </summary>
    public static InstanceIdentity Of(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.FirstOrDefault(d => d.ServiceType == typeof(InstanceIdentity))?.ImplementationInstance is InstanceIdentity registered)
        {
            return registered;
        }

        var identity = new InstanceIdentity(Resolve(builder.Configuration, builder.Environment));
        builder.Services.AddSingleton(identity);
        return identity;
    }

    internal static string Resolve(IConfiguration configuration, IHostEnvironment environment)
    {
        var configured = configuration[Key];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var port = PortFrom(configuration["urls"]) ?? PortFrom(configuration["ASPNETCORE_URLS"]) ?? FirstOf(configuration["HTTP_PORTS"]);
        return port is null
            ? $"{Environment.MachineName}-{environment.ApplicationName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}"
            : $"{Environment.MachineName}:{port}";
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
