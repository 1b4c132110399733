using System.Globalization;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Diagnostics.Probes;

namespace SecondServer.Web.Doctor;

/// <summary>
/// Configuration <c>Cluster</c>: the description of the running cluster that the doctor command takes on its command
/// line, for the administrators' cluster and doctor pages. Written in the command's own words (<c>NAME=URL</c>,
/// <c>HOST:PORT</c>) and read by the command's own parser, so the page and <c>scripts/doctor</c> cannot drift apart.
/// Optional: a host without it (a lone replica, the Aspire AppHost, the tests) shows that the pages are not set up.
/// </summary>
internal sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>The web replicas as <c>NAME=URL</c>, NAME as in HAProxy's backend (<c>web-1=http://10.0.0.11:5101</c>).</summary>
    public List<string> Web { get; init; } = [];

    /// <summary>The workers as <c>NAME=URL</c>.</summary>
    public List<string> Workers { get; init; } = [];

    /// <summary>The balancer's configuration file, readable by this host.</summary>
    public string? HaproxyConfig { get; set; }

    /// <summary>HAProxy's runtime API socket (<c>stats socket</c>), reachable by this host.</summary>
    public string? HaproxySocket { get; set; }

    public string Backend { get; set; } = "be_web";

    /// <summary>The ports only the balancer may open to the world.</summary>
    public List<int> PublicPorts { get; init; } = [];

    /// <summary>The ports that must listen on private addresses only.</summary>
    public List<int> PrivatePorts { get; init; } = [];

    /// <summary>Redis as <c>HOST:PORT</c>, where the doctor checks that a client without the password is refused.</summary>
    public string? Redis { get; set; }

    /// <summary>MySQL as <c>HOST:PORT</c>, likewise.</summary>
    public string? MySql { get; set; }

    public bool IsConfigured => Web.Count > 0;

    /// <summary>The doctor's settings, through the doctor's parser; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public DoctorSettings ToSettings()
    {
        var args = new List<string>();
        args.AddRange(Web.SelectMany(w => new[] { "--web", w }));
        args.AddRange(Workers.SelectMany(w => new[] { "--worker", w }));
        Add(args, "--haproxy-config", HaproxyConfig);
        Add(args, "--haproxy-socket", HaproxySocket);
        Add(args, "--backend", Backend);
        args.AddRange(PublicPorts.SelectMany(p => new[] { "--public-port", p.ToString(CultureInfo.InvariantCulture) }));
        args.AddRange(PrivatePorts.SelectMany(p => new[] { "--private-port", p.ToString(CultureInfo.InvariantCulture) }));
        Add(args, "--redis", Redis);
        Add(args, "--mysql", MySql);
        return DoctorSettings.Parse(args);
    }

    private static void Add(List<string> args, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            args.Add(name);
            args.Add(value);
        }
    }
}

/// <summary>A <c>Cluster</c> section that is there but incomplete stops the host at startup, naming what is wrong.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    // Longest flags first, so --haproxy-config is not half-replaced by a shorter one.
    private static readonly KeyValuePair<string, string>[] Settings =
    [
        new("--haproxy-config", "HaproxyConfig"), new("--haproxy-socket", "HaproxySocket"), new("--public-port", "PublicPorts"),
        new("--private-port", "PrivatePorts"), new("--backend", "Backend"), new("--worker", "Workers"), new("--redis", "Redis"),
        new("--mysql", "MySql"), new("--web", "Web"),
    ];

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        if (!options.IsConfigured)
        {
            return options.Workers.Count > 0 || options.HaproxySocket is not null || options.HaproxyConfig is not null
                ? ValidateOptionsResult.Fail($"{ClusterOptions.Section}:Web names no web replica, though other {ClusterOptions.Section} settings are set.")
                : ValidateOptionsResult.Success;
        }

        try
        {
            options.ToSettings();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            // The parser speaks in command-line flags; name them as settings here.
            var message = Settings.Aggregate(ex.Message, (text, flag) => text.Replace(flag.Key, $"{ClusterOptions.Section}:{flag.Value}", StringComparison.Ordinal));
            return ValidateOptionsResult.Fail(message);
        }
    }
}

/// <summary>
/// Registers the <c>Cluster</c> description the administrators' cluster and doctor pages read, the observer they look
/// through, the balancer sampler and the histories the cluster page draws.
/// </summary>
internal static class ClusterRegistration
{
    public static IServiceCollection AddClusterDescription(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        services.AddClusterObserver();
        services.AddSingleton<Cluster.BalancerSamples>();
        services.AddSingleton<Cluster.DeployHistory>();
        services.AddHostedService<Cluster.BalancerSampler>();
        return services;
    }

    /// <summary>The <see cref="ClusterObserver"/> and its probes: the host's pages and the doctor command build it the same way.</summary>
    public static IServiceCollection AddClusterObserver(this IServiceCollection services) =>
        services.AddClusterProbes().AddSingleton<ClusterObserver>();
}
