using Microsoft.Extensions.Configuration;

namespace SecondServer.AppHost;

/// <summary>How Redis, MySQL and the S3 server run under the AppHost.</summary>
internal enum ServerMode
{
    /// <summary>Containers when a Docker engine answers within a second, executables otherwise.</summary>
    Auto,

    /// <summary>Container images: the official ones, or local builds named in <c>AppHost:Images</c>.</summary>
    Containers,

    /// <summary>The Debian and npm servers <c>scripts/up</c> installs, run as plain processes.</summary>
    Executables,
}

/// <summary>The <c>AppHost</c> configuration section (appsettings.json, environment, command line).</summary>
internal sealed class AppHostOptions
{
    public const string Section = "AppHost";

    /// <summary>The app's external endpoint on the developer's machine (DESIGN.md), beside scripts/up's 8080.</summary>
    public const int DefaultBalancerPort = 18080;

    public ServerMode Servers { get; set; } = ServerMode.Auto;

    /// <summary>The balancer's HTTP port on 127.0.0.1; 0 lets the AppHost allocate a free one (the tests do).</summary>
    public int BalancerPort { get; set; } = DefaultBalancerPort;

    /// <summary>Where executables keep their data and HAProxy its configuration; default <c>.data/apphost</c> (git-ignored).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Where <c>scripts/up</c> installs the S3 server's npm modules; default <c>.tools/s3/node_modules</c>.</summary>
    public string? S3Modules { get; set; }

    public ImageOptions Images { get; set; } = new();

    /// <summary>Reads and checks the section; a wrong value stops the AppHost with one line naming the key.</summary>
    public static AppHostOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        AppHostOptions options;
        try
        {
            options = section.Get<AppHostOptions>() ?? new AppHostOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new AppHostConfigurationException(
                $"{Section}: {ex.InnerException?.Message ?? ex.Message} ({Section}:Servers is containers, executables or auto; {Section}:BalancerPort a port number).");
        }

        if (options.BalancerPort is < 0 or > 65535)
        {
            throw new AppHostConfigurationException($"{Section}:BalancerPort must be a port number (0 to allocate one), not {options.BalancerPort}.");
        }

        foreach (var (key, image) in new[] { ("Redis", options.Images.Redis), ("MySql", options.Images.MySql), ("S3", options.Images.S3) })
        {
            if (!ContainerImage.TryParse(image, out _))
            {
                throw new AppHostConfigurationException($"{Section}:Images:{key} must be an image reference such as name:tag, not '{image}'.");
            }
        }

        return options;
    }
}

/// <summary>Images of the servers in containers mode; a machine without a registry names locally built ones.</summary>
internal sealed class ImageOptions
{
    /// <summary>The Redis hosting integration's own default image.</summary>
    public string Redis { get; set; } = "docker.io/library/redis:8.6";

    /// <summary>MySQL 8.4 LTS, what the app is written against.</summary>
    public string MySql { get; set; } = "docker.io/library/mysql:8.4";

    /// <summary>MinIO's last community image; any image with MinIO's command and environment works.</summary>
    public string S3 { get; set; } = "docker.io/minio/minio:RELEASE.2025-09-07T16-13-09Z";
}

/// <summary>A configuration value the AppHost cannot start with; its message names the key and the fix.</summary>
internal sealed class AppHostConfigurationException(string message) : Exception(message);
