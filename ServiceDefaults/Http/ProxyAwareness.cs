using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace SecondServer.ServiceDefaults.Http;

/// <summary>
/// Which balancers may tell the app the client's address and scheme. A header from anyone else is ignored, so a
/// client that reaches a replica directly cannot spoof its IP (rate limits) or claim HTTPS (secure cookies).
/// </summary>
internal sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses or CIDR networks of trusted proxies. Empty means loopback only.</summary>
    public IList<string> KnownProxies { get; } = [];
}

internal static class ProxyAwareness
{
    public static IServiceCollection AddProxyAwareness(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProxyOptions>().Bind(configuration.GetSection(ProxyOptions.Section))
            .Validate(o => o.KnownProxies.All(p => TryParseNetwork(p, out _)),
                $"{ProxyOptions.Section}:KnownProxies must hold IP addresses or CIDR networks such as 10.0.1.0/24.")
            .ValidateOnStart();

        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = 1;
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            if (proxies.Value.KnownProxies.Count == 0)
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                forwarded.KnownProxies.Add(IPAddress.IPv6Loopback);
                return;
            }

            foreach (var proxy in proxies.Value.KnownProxies)
            {
                if (TryParseNetwork(proxy, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }
        });
        return services;
    }

    private static bool TryParseNetwork(string value, out IPNetwork network)
    {
        if (IPNetwork.TryParse(value, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(value, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
