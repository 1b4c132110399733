using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.ServiceDefaults;
using IPNetwork = System.Net.IPNetwork;

namespace SecondServer.Infrastructure.Diagnostics;

/// <summary>
/// <c>GET /internal/diagnostics</c>: this instance's <see cref="InstanceFingerprint"/>, for the second-server doctor.
/// Internal only: a request that came through the balancer (it carries <c>X-Forwarded-For</c>, moved to
/// <c>X-Original-For</c> once trusted) or from an address outside loopback and <c>Diagnostics:AllowedNetworks</c>
/// gets the same 404 as any unknown path, so the public side cannot even learn that it exists.
/// </summary>
internal static class DiagnosticsEndpoint
{
    public const string Path = "/internal/diagnostics";
    public const string AllowedNetworksKey = "Diagnostics:AllowedNetworks";

    public static IServiceCollection AddDiagnostics(this IServiceCollection services) => services.AddSingleton<Fingerprints>();

    public static IEndpointConventionBuilder MapDiagnostics(this IEndpointRouteBuilder endpoints)
    {
        var configuration = endpoints.ServiceProvider.GetRequiredService<IConfiguration>();
        var allowed = configuration.GetSection(AllowedNetworksKey).Get<string[]>() ?? [];
        var networks = allowed.Select(value => IPNetwork.TryParse(value, out var network) ? network
            : IPAddress.TryParse(value, out var address) ? new IPNetwork(address, address.GetAddressBytes().Length * 8)
            : throw new InvalidOperationException($"{AllowedNetworksKey} holds '{value}', which is neither an IP address nor a CIDR network.")).ToList();
        var instance = endpoints.ServiceProvider.GetRequiredService<InstanceIdentity>().Name;
        return endpoints.MapGet(Path, async (HttpContext context, Fingerprints fingerprints, CancellationToken cancellationToken) =>
            IsInternal(context.Request.Headers, context.Connection.RemoteIpAddress, networks)
                ? Results.Json(await fingerprints.CollectAsync(instance, cancellationToken))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound))
            .ExcludeFromDescription();
    }

    internal static bool IsInternal(IHeaderDictionary headers, IPAddress? remote, IReadOnlyList<IPNetwork> allowed)
    {
        if (headers.ContainsKey("X-Forwarded-For") || headers.ContainsKey("X-Original-For"))
        {
            return false;
        }

        if (remote is null)
        {
            return false;
        }

        remote = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return IPAddress.IsLoopback(remote) || allowed.Any(network => network.Contains(remote));
    }
}
