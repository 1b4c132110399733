using StackExchange.Redis;

namespace SecondServer.Bench;

/// <summary>Host and port of the first endpoint of a Redis connection string, for tools that connect on their own.</summary>
internal static class RedisAddress
{
    public static (string Host, int Port) Of(ConfigurationOptions options) => options.EndPoints[0] switch
    {
        System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
        System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
        var other => throw new ArgumentException($"Unsupported endpoint {other}."),
    };
}
