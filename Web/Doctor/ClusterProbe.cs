using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MySqlConnector;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Diagnostics;

namespace SecondServer.Web.Doctor;

/// <summary>
/// Looks at the running cluster: every probe at once, each bounded, none throwing, so the whole look takes about as
/// long as the slowest probe's timeout and a dead server becomes evidence rather than an error.
/// </summary>
internal sealed class ClusterProbe(DoctorSettings settings, TimeSpan timeout)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Each probe's bound; all run at once, so a look takes about this long at worst.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1.2);

    /// <summary>Everything the seven rules read.</summary>
    public async Task<ClusterObservation> ObserveAsync(CancellationToken cancellationToken)
    {
        var nodes = ObserveNodesAsync(cancellationToken);
        var config = ReadConfigAsync(cancellationToken);
        var listeners = ListenersAsync(cancellationToken);
        var anonymous = Task.WhenAll(
            RedisAnonymousAsync(cancellationToken),
            MySqlAnonymousAsync("anonymous MySQL user", "", cancellationToken),
            MySqlAnonymousAsync("MySQL root without password", "root", cancellationToken));
        await Task.WhenAll(nodes, config, listeners, anonymous);
        var (instances, servers, statError) = await nodes;
        var (configText, configError) = await config;
        var (listening, listenersError) = await listeners;
        return new ClusterObservation(instances, settings.Backend, configText, servers, configError ?? statError,
            settings.PublicPorts, settings.PrivatePorts, listening, listenersError, await anonymous);
    }

    /// <summary>
    /// Only the instances (fingerprint, readiness) and the balancer's view of each replica: what the cluster page
    /// shows every few seconds, without the doctor's login attempts and listener scan.
    /// </summary>
    public async Task<(IReadOnlyList<InstanceObservation> Instances, IReadOnlyList<BackendServer>? Servers, string? BalancerError)> ObserveNodesAsync(
        CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = timeout };
        var instances = Task.WhenAll(settings.Instances.Select(i => InstanceAsync(http, i, cancellationToken)));
        var stat = BackendServersAsync(cancellationToken);
        await Task.WhenAll(instances, stat);
        var (servers, error) = await stat;
        return (await instances, servers, error);
    }

    private static async Task<InstanceObservation> InstanceAsync(HttpClient http, InstanceAddress instance, CancellationToken cancellationToken)
    {
        var fingerprint = FingerprintAsync(http, instance, cancellationToken);
        var ready = ReadinessAsync(http, instance, cancellationToken);
        await Task.WhenAll(fingerprint, ready);
        var (print, error) = await fingerprint;
        var (isReady, readiness) = await ready;
        return new InstanceObservation(instance, print, error, isReady, readiness);
    }

    private static async Task<(InstanceFingerprint?, string?)> FingerprintAsync(HttpClient http, InstanceAddress instance, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(instance.Address, DiagnosticsEndpoint.Path), cancellationToken);
            return response.IsSuccessStatusCode
                ? (await response.Content.ReadFromJsonAsync<InstanceFingerprint>(Json, cancellationToken), null)
                : (null, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, Brief(ex));
        }
    }

    private static async Task<(bool, string)> ReadinessAsync(HttpClient http, InstanceAddress instance, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(instance.Address, BalancerRule.ReadyPath), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (true, "200");
            }

            // The body names each check; the failing ones are what the reader needs.
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var failing = body.RootElement.GetProperty("checks").EnumerateArray()
                .Where(c => c.GetProperty("status").GetString() != "Healthy")
                .Select(c => $"{c.GetProperty("name").GetString()}: {c.GetProperty("description").GetString()}");
            return (false, $"{(int)response.StatusCode} {string.Join(", ", failing)}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (false, Brief(ex));
        }
    }

    private async Task<(string?, string?)> ReadConfigAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await File.ReadAllTextAsync(settings.HaproxyConfig, cancellationToken), null);
        }
        catch (IOException ex)
        {
            return (null, $"config {settings.HaproxyConfig}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            return (null, $"config {settings.HaproxyConfig}: {ex.Message}");
        }
    }

    /// <summary>The balancer's view of each replica (<c>show stat</c>), or why it could not be read.</summary>
    internal async Task<(IReadOnlyList<BackendServer>?, string?)> BackendServersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var bounded = Bounded(cancellationToken);
            var endpoint = RuntimeApiEndpoint(settings.HaproxySocket);
            using var socket = endpoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, bounded.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("show stat\n"), bounded.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return (ParseStat(await reader.ReadToEndAsync(bounded.Token), settings.Backend), null);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return (null, $"runtime socket {settings.HaproxySocket}: {Brief(ex)}");
        }
    }

    /// <summary>
    /// HAProxy's runtime API: a socket file (<c>stats socket /run/haproxy/admin.sock</c>) on the balancer's machine, or
    /// <c>HOST:PORT</c> (<c>stats socket ipv4@10.0.1.10:9999</c>) when the balancer runs on another machine.
    /// </summary>
    internal static EndPoint RuntimeApiEndpoint(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && !value.Contains('/', StringComparison.Ordinal)
            && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? new DnsEndPoint(value[..colon].Trim('[', ']'), port)
                : new UnixDomainSocketEndPoint(value);
    }

    /// <summary>The servers of one backend in <c>show stat</c>'s CSV, located by its header, not by column number.</summary>
    internal static IReadOnlyList<BackendServer> ParseStat(string csv, string backend)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Split(',') ?? [];
        var status = Array.IndexOf(header, "status");
        if (status < 0)
        {
            return [];
        }

        string? Field(string[] fields, string name) =>
            Array.IndexOf(header, name) is var i and >= 0 && i < fields.Length && fields[i].Length > 0 ? fields[i] : null;
        long? Number(string[] fields, string name) =>
            long.TryParse(Field(fields, name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        return
        [
            .. lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(','))
                .Where(f => f.Length > status && f[0] == backend && f[1] is not ("BACKEND" or "FRONTEND"))
                // check_status starts with "* " while a check is in flight; the outcome is the rest.
                .Select(f => new BackendServer(f[1], f[status], Field(f, "check_status")?.TrimStart('*', ' '),
                    Number(f, "lastchg") is { } seconds ? TimeSpan.FromSeconds(seconds) : null, Number(f, "stot"),
                    // HTTP requests where HAProxy counts them per server, else its sessions (one per request in HTTP mode).
                    Number(f, "req_tot") ?? Number(f, "stot"), Number(f, "rtime"))),
        ];
    }

    private async Task<(IReadOnlyList<Listener>?, string?)> ListenersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var bounded = Bounded(cancellationToken);
            var start = new ProcessStartInfo("ss", "-ltnH") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(bounded.Token);
            await process.WaitForExitAsync(bounded.Token);
            return (ParseListeners(output), null);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or OperationCanceledException)
        {
            return (null, Brief(ex));
        }
    }

    /// <summary>Local address and port of each line of <c>ss -ltnH</c> (the fourth column: 127.0.0.1:5101, [::]:8080, *:8080).</summary>
    internal static IReadOnlyList<Listener> ParseListeners(string output) =>
    [
        .. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 4)
            .Select(columns => columns[3])
            .Select(local => (Local: local, Colon: local.LastIndexOf(':')))
            .Where(l => l.Colon > 0 && int.TryParse(l.Local[(l.Colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(l => new Listener(l.Local[..l.Colon], int.Parse(l.Local[(l.Colon + 1)..], CultureInfo.InvariantCulture))),
    ];

    /// <summary>Sends PING without AUTH: a protected Redis answers -NOAUTH (or -DENIED in protected mode), an open one +PONG.</summary>
    private async Task<AnonymousAttempt> RedisAnonymousAsync(CancellationToken cancellationToken)
    {
        const string What = "Redis without password";
        try
        {
            using var bounded = Bounded(cancellationToken);
            using var client = new TcpClient();
            await client.ConnectAsync(settings.RedisHost, settings.RedisPort, bounded.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), bounded.Token);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, bounded.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            var refused = reply.StartsWith("-NOAUTH", StringComparison.Ordinal) || reply.StartsWith("-DENIED", StringComparison.Ordinal);
            return new AnonymousAttempt(What, refused, refused ? reply : $"PING answered '{reply}' at {settings.RedisHost}:{settings.RedisPort}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return new AnonymousAttempt(What, false, $"cannot tell: {settings.RedisHost}:{settings.RedisPort} {Brief(ex)}");
        }
    }

    private async Task<AnonymousAttempt> MySqlAnonymousAsync(string what, string user, CancellationToken cancellationToken)
    {
        // Through the app's connection factory, which teaches the driver MariaDB's charset name: without it a
        // login that succeeds would fail afterwards and look like a refusal.
        var connectionString = new MySqlConnectionStringBuilder
        {
            Server = settings.MySqlHost,
            Port = (uint)settings.MySqlPort,
            UserID = user,
            SslMode = MySqlSslMode.None,
            Pooling = false,
        }.ConnectionString;
        var factory = new MySqlConnectionFactory(Options.Create(new DatabaseOptions { ConnectionString = connectionString, ConnectTimeoutSeconds = 1 }));
        try
        {
            await using var connection = await factory.OpenAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
            return new AnonymousAttempt(what, false, $"logged in as '{user}' without a password at {settings.MySqlHost}:{settings.MySqlPort}");
        }
        catch (MySqlException ex) when (ex.Number is 1045 or 1698 || ex.Message.Contains("Access denied", StringComparison.Ordinal))
        {
            return new AnonymousAttempt(what, true, ex.Message);
        }
        catch (Exception ex) when (ex is MySqlException or TimeoutException or SocketException)
        {
            return new AnonymousAttempt(what, false, $"cannot tell: {settings.MySqlHost}:{settings.MySqlPort} {Brief(ex)}");
        }
    }

    private CancellationTokenSource Bounded(CancellationToken cancellationToken)
    {
        var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        return bounded;
    }

    private static string Brief(Exception exception) => exception switch
    {
        OperationCanceledException or TimeoutException => "no answer in time",
        _ => exception.GetBaseException().Message,
    };
}
