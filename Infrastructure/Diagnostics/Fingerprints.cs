using System.Diagnostics;
using System.Reflection;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Redis;
using SecondServer.Infrastructure.Storage;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Diagnostics;

/// <summary>
/// Collects this process's <see cref="InstanceFingerprint"/>. Every probe is bounded and reports its failure in the
/// fingerprint instead of throwing, so an instance whose Redis is down still says which Redis it is pointed at.
/// </summary>
internal sealed class Fingerprints(
    RedisConnection redis,
    IDbConnectionFactory database,
    IOptions<StorageOptions> storage,
    IOptions<DataProtectionOptions> dataProtection,
    IKeyManager keys,
    IHostEnvironment environment,
    IServiceProvider services)
{
    /// <summary>The doctor asks every instance at once and wants all answers within its own budget of about a second.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(800);

    /// <summary>What the scheduler's <c>OnOneServer</c> mutex lives in: the same Redis as everything else.</summary>
    public const string SchedulerMutexStore = "redis";

    /// <summary>When this process started (the process's own fact, read once): uptime on the cluster page.</summary>
    private static readonly DateTimeOffset StartedAt = ProcessStart();

    public async Task<InstanceFingerprint> CollectAsync(string instance, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var mysql = DatabaseAsync(timeout.Token);
        var redisPrint = RedisAsync(timeout.Token);
        var keyRing = DataProtectionAsync(timeout.Token);
        var sessions = SessionStoreAsync();
        await Task.WhenAll(mysql, redisPrint, keyRing, sessions);
        var options = storage.Value;
        return new InstanceFingerprint(
            instance,
            environment.ApplicationName,
            await mysql,
            await redisPrint,
            new StorageFingerprint(options.Endpoint.GetLeftPart(UriPartial.Authority), options.Bucket),
            await keyRing,
            await sessions,
            SchedulerMutexStore,
            new ReleaseFingerprint(ReleaseName(environment.ContentRootPath), Version(), StartedAt));
    }

    private async Task<DatabaseFingerprint> DatabaseAsync(CancellationToken cancellationToken)
    {
        var endpoint = database.Describe();
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            // MariaDB has no server_uuid; there the server id with host name and port names the server.
            var variables = (await connection.QueryAsync<(string Name, string Value)>(new CommandDefinition(
                    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_uuid', 'server_id', 'hostname', 'port')", cancellationToken: cancellationToken)))
                .ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase);
            var server = variables.TryGetValue("server_uuid", out var uuid) && !string.IsNullOrEmpty(uuid)
                ? uuid
                : $"{variables.GetValueOrDefault("hostname")}:{variables.GetValueOrDefault("port")}#{variables.GetValueOrDefault("server_id")}";
            var name = await connection.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT DATABASE()", cancellationToken: cancellationToken));
            var latest = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT MAX(MigrationId) FROM __EFMigrationsHistory", cancellationToken: cancellationToken));
            return new DatabaseFingerprint(endpoint, server, name, latest, null);
        }
        catch (Exception ex)
        {
            return new DatabaseFingerprint(endpoint, null, null, null, Describe(ex));
        }
    }

    private async Task<RedisFingerprint> RedisAsync(CancellationToken cancellationToken)
    {
        var prefix = redis.KeyPrefix;
        var number = 0;
        try
        {
            var multiplexer = redis.Multiplexer;
            // GetDatabase() does not tell which number it stands for; the configuration the multiplexer runs with does.
            number = ConfigurationOptions.Parse(multiplexer.Configuration).DefaultDatabase ?? 0;
            // IServer.InfoAsync needs allowAdmin, which the app's multiplexer rightly lacks; INFO itself needs no admin rights.
            var info = (string?)await multiplexer.GetDatabase().ExecuteAsync("INFO", "server").WaitAsync(cancellationToken) ?? "";
            var runId = info.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith("run_id:", StringComparison.Ordinal))?["run_id:".Length..];
            return new RedisFingerprint(redis.Endpoint, runId, number, prefix, runId is null ? "INFO server named no run_id" : null);
        }
        catch (Exception ex)
        {
            return new RedisFingerprint(redis.Endpoint, null, number, prefix, Describe(ex));
        }
    }

    private async Task<DataProtectionFingerprint> DataProtectionAsync(CancellationToken cancellationToken)
    {
        var name = dataProtection.Value.ApplicationDiscriminator ?? "(content root)";
        try
        {
            // The key manager reads the ring synchronously, from a repository with a multiplexer of its own.
            var all = await Task.Run(keys.GetAllKeys, CancellationToken.None).WaitAsync(cancellationToken);
            return new DataProtectionFingerprint(name, [.. all.Select(k => k.KeyId.ToString("D")).Order(StringComparer.Ordinal)], null);
        }
        catch (Exception ex)
        {
            return new DataProtectionFingerprint(name, [], Describe(ex));
        }
    }

    /// <summary>The store the authentication cookie actually uses; a host without cookies reports the registered one.</summary>
    private async Task<string> SessionStoreAsync()
    {
        var schemes = services.GetService<IAuthenticationSchemeProvider>();
        var scheme = schemes is null ? null : await schemes.GetDefaultAuthenticateSchemeAsync();
        if (scheme?.HandlerType == typeof(CookieAuthenticationHandler))
        {
            var store = services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(scheme.Name).SessionStore;
            return store?.GetType().Name ?? "none (the whole ticket in the cookie)";
        }

        return services.GetService<ITicketStore>()?.GetType().Name ?? "none";
    }

    /// <summary>
    /// The release folder's name: instances run from a link (<c>instances/web-1</c>) to <c>releases/&lt;name&gt;</c>,
    /// so the content root is resolved link by link first.
    /// </summary>
    internal static string ReleaseName(string contentRoot)
    {
        var segments = Resolve(contentRoot).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var releases = Array.LastIndexOf(segments, "releases");
        return releases >= 0 && releases + 1 < segments.Length ? segments[releases + 1] : $"(no release folder: {contentRoot})";
    }

    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var resolved = Path.GetPathRoot(full)!;
        foreach (var segment in full[resolved.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, segment);
            var target = new DirectoryInfo(next).ResolveLinkTarget(returnFinalTarget: true);
            resolved = target is null ? next : Path.GetFullPath(target.FullName);
        }

        return resolved;
    }

    private static DateTimeOffset ProcessStart()
    {
        using var process = Process.GetCurrentProcess();
        return process.StartTime.ToUniversalTime();
    }

    private static string Version() =>
        Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static string Describe(Exception exception) => exception switch
    {
        OperationCanceledException => $"no answer within {ProbeTimeout.TotalMilliseconds:0} ms",
        _ => exception.GetBaseException().Message,
    };
}
