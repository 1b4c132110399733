using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using SecondServer.AppHost.Servers;

namespace SecondServer.AppHost;

/// <summary>
/// HAProxy in front of the web replicas, configured from deploy/haproxy/haproxy.cfg.template, the very file
/// scripts/up renders: the same round robin, health checks on /health/ready every 500 ms, retries of idempotent
/// requests on the other replica and lame-duck drain. DCP's own proxy cannot stand in for it: it picks a replica per
/// connection at random and never checks health, so a stopping replica would keep getting requests.
/// </summary>
internal static partial class Balancer
{
    public static IResourceBuilder<ExecutableResource> Add(
        IDistributedApplicationBuilder builder, AppHostOptions options, string dataDirectory, string repositoryRoot,
        IResourceBuilder<ProjectResource> web1, IResourceBuilder<ProjectResource> web2, IResourceWithEndpoints s3)
    {
        var template = HostTools.RequireFile(Path.Combine(repositoryRoot, "deploy", "haproxy", "haproxy.cfg.template"), "The balancer's template");
        var directory = Path.Combine(dataDirectory, "haproxy");
        var configuration = Path.Combine(directory, "haproxy.cfg");
        int? port = options.BalancerPort == 0 ? null : options.BalancerPort;

        var balancer = builder.AddExecutable("balancer", HostTools.Find("haproxy", "haproxy"), directory, "-W", "-db", "-f", configuration)
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            // TCP to Aspire, which would otherwise look for its development certificate: HAProxy serves its own
            // self-signed one, as under scripts/up. The dashboard still shows it as the https URL it is.
            .WithEndpoint(name: "https", scheme: "tcp", isProxied: false)
            .WithUrlForEndpoint("https", url => url.Url = "https" + url.Url[url.Url.IndexOf(':', StringComparison.Ordinal)..])
            .WithHttpEndpoint(name: "stats", isProxied: false)
            .WithUrlForEndpoint("stats", url => url.DisplayText = "HAProxy stats")
            .WithIconName("ArrowSplit")
            .WithHttpHealthCheck("/health/ready", endpointName: "http")
            .WithRelationship(web1.Resource, "Balances")
            .WithRelationship(web2.Resource, "Balances");

        balancer.OnBeforeResourceStarted(async (resource, _, cancellationToken) =>
        {
            Directory.CreateDirectory(directory);
            await EnsureCertificateAsync(Path.Combine(dataDirectory, "tls", "haproxy.pem"), cancellationToken).ConfigureAwait(false);
            // Drain and maintenance states set through the runtime API are kept here across reloads, as under scripts/up.
            var state = Path.Combine(directory, "server-state");
            if (!File.Exists(state))
            {
                await File.WriteAllTextAsync(state, string.Empty, cancellationToken).ConfigureAwait(false);
            }

            var values = new Dictionary<string, string>
            {
                ["DATA"] = dataDirectory,
                ["LB_BIND"] = "127.0.0.1",
                // As scripts/up sizes it: half the machine's cores, the rest are the replicas' and the servers'.
                ["LB_THREADS"] = Math.Max(1, Environment.ProcessorCount / 2).ToString(CultureInfo.InvariantCulture),
                ["HTTPS_REDIRECT"] = "# ",
                ["LB_HTTP_PORT"] = PortOf(resource, "http"),
                ["LB_HTTPS_PORT"] = PortOf(resource, "https"),
                ["LB_STATS_PORT"] = PortOf(resource, "stats"),
                ["WEB1_PORT"] = PortOf(web1.Resource, "http"),
                ["WEB2_PORT"] = PortOf(web2.Resource, "http"),
                ["S3_PORT"] = PortOf(s3, "http"),
            };
            await ExecutableServers.WritePrivateAsync(configuration, Render(await File.ReadAllTextAsync(template, cancellationToken).ConfigureAwait(false), values), cancellationToken)
                .ConfigureAwait(false);
        });
        return balancer;
    }

    /// <summary>Fills in every <c>@NAME@</c> outside comments, and refuses one it has no value for.</summary>
    internal static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        string.Join('\n', template.Split('\n').Select(line => line.TrimStart().StartsWith('#') ? line : Placeholder().Replace(line, match =>
            values.TryGetValue(match.Groups[1].Value, out var value)
                ? value
                : throw new InvalidOperationException($"The balancer's template has a placeholder the AppHost does not fill in: {match.Value}"))));

    private static string PortOf(IResourceWithEndpoints resource, string endpoint) =>
        resource.GetEndpoint(endpoint).Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A self-signed certificate for the HTTPS listener, made once like scripts/up's, kept with the AppHost's data.</summary>
    private static async Task EnsureCertificateAsync(string path, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(825));
        await ExecutableServers.WritePrivateAsync(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n", cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("@([A-Z0-9_]+)@")]
    private static partial Regex Placeholder();
}
