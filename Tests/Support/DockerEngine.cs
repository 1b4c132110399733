using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace SecondServer.Tests.Support;

/// <summary>
/// The Docker engine the integration tests' containers run on, and the Testcontainers settings it needs. Every
/// container of the suite is built after <see cref="EnsureAsync"/>, so these settings are in place before
/// Testcontainers reads its configuration (once, when it is first used).
/// </summary>
internal static class DockerEngine
{
    private const string DefaultSocket = "/var/run/docker.sock";

    private static readonly Lazy<Task> Checked = new(CheckAsync);

    /// <summary>Where the tests look for the engine, for messages.</summary>
    public static string Address => Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : $"unix://{DefaultSocket}";

    /// <summary>The engine's Unix socket when it runs on this machine; null for a remote engine.</summary>
    public static string? LocalSocket => Address.StartsWith("unix://", StringComparison.Ordinal) ? Address["unix://".Length..] : null;

    /// <summary>Throws one clear message, naming scripts/images, when no engine answers.</summary>
    public static Task EnsureAsync() => Checked.Value;

    private static async Task CheckAsync()
    {
        var version = await EngineApiVersionAsync();

        // Testcontainers 4.16 speaks Docker API 1.44 unless told otherwise, and an older engine refuses every
        // request: Debian 12's docker.io (20.10) answers at most 1.41. So ask for the engine's own version when it
        // is older; newer engines (Docker 29 accepts 1.44 and up only) keep Testcontainers' default.
        if (version is not null && version < new Version(1, 44) && Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is null or "")
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", version.ToString(2));
        }

        // A local engine publishes the containers' ports on this machine's loopback (ServerContainers binds them
        // there). Testcontainers takes a /.dockerenv file to mean that the tests themselves run in a container and
        // would then reach the ports through the bridge's gateway, where nothing listens: this machine may itself be
        // a container that runs its own engine.
        if (LocalSocket is not null && Environment.GetEnvironmentVariable("TESTCONTAINERS_HOST_OVERRIDE") is null or "")
        {
            Environment.SetEnvironmentVariable("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
        }

        // Testcontainers waits for a server's readiness without end by default: a server that never becomes ready
        // (a wrong image, say) would hang the run instead of failing its tests.
        if (Environment.GetEnvironmentVariable("TESTCONTAINERS_WAIT_STRATEGY_TIMEOUT") is null or "")
        {
            Environment.SetEnvironmentVariable("TESTCONTAINERS_WAIT_STRATEGY_TIMEOUT", "00:01:00");
        }

        // Ryuk, Testcontainers' reaper container, comes from a registry, and machines without one cannot pull it.
        // Without it, the fixtures' own disposal removes the containers, and scripts/test removes any that a
        // crashed run left behind by their label (ContainerLabel) before and after every run.
        if (Environment.GetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED") is null or "")
        {
            Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        }
    }

    /// <summary>The label on every container the suite starts: the checkout's root, so that a run removes only its own leftovers.</summary>
    public const string ContainerLabel = "secondserver.tests";

    // The engine's API version from GET /version, which every engine answers without a version prefix; null when
    // the engine is not on a local socket (DOCKER_HOST=tcp://...), where Testcontainers negotiates on its own.
    private static async Task<Version?> EngineApiVersionAsync()
    {
        var socket = LocalSocket;
        if (socket is null)
        {
            return null;
        }

        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(unix, ownsSocket: true);
                }
                catch
                {
                    unix.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = new Uri("http://docker"), Timeout = TimeSpan.FromSeconds(5) };

        if (!File.Exists(socket))
        {
            throw NoEngine($"no socket at {socket}", null);
        }

        EngineVersion? answer;
        try
        {
            answer = await client.GetFromJsonAsync<EngineVersion>("/version");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
        {
            throw NoEngine(e.Message, e);
        }

        return Version.TryParse(answer?.ApiVersion, out var version) ? version : null;
    }

    private static InvalidOperationException NoEngine(string reason, Exception? inner) => new(
        $"No Docker engine answers at {Address} ({reason}). The integration tests run Redis, MySQL and S3 in containers: " +
        "run scripts/images, which installs Docker, starts the engine and builds the images (scripts/test does it too).", inner);

    private sealed record EngineVersion([property: JsonPropertyName("ApiVersion")] string? ApiVersion);
}
