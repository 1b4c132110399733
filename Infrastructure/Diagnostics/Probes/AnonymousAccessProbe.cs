using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using MySqlConnector;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Infrastructure.Diagnostics.Probes;

/// <summary>Whether a server turned away a client without credentials, and what it said.</summary>
internal sealed record AnonymousAttempt(string What, bool Refused, string Evidence);

/// <summary>Tries the shared servers without credentials, as an attacker on the network would.</summary>
internal interface IAnonymousAccessProbe
{
    /// <summary>PING without AUTH; never throws.</summary>
    Task<AnonymousAttempt> RedisAsync(string host, int port, CancellationToken cancellationToken);

    /// <summary>A login as <paramref name="user"/> without a password, described as <paramref name="what"/>; never throws.</summary>
    Task<AnonymousAttempt> MySqlAsync(string what, string host, int port, string user, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class AnonymousAccessProbe : IAnonymousAccessProbe
{
    /// <summary>A protected Redis answers -NOAUTH (or -DENIED in protected mode), an open one +PONG.</summary>
    public async Task<AnonymousAttempt> RedisAsync(string host, int port, CancellationToken cancellationToken)
    {
        const string What = "Redis without password";
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, cancellationToken);
            var reply = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            var refused = reply.StartsWith("-NOAUTH", StringComparison.Ordinal) || reply.StartsWith("-DENIED", StringComparison.Ordinal);
            return new AnonymousAttempt(What, refused, refused ? reply : $"PING answered '{reply}' at {host}:{port}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return new AnonymousAttempt(What, false, $"cannot tell: {host}:{port} {ProbeFailure.Describe(ex)}");
        }
    }

    public async Task<AnonymousAttempt> MySqlAsync(string what, string host, int port, string user, CancellationToken cancellationToken)
    {
        // Through the app's connection factory, which teaches the driver MariaDB's charset name: without it a
        // login that succeeds would fail afterwards and look like a refusal.
        var connectionString = new MySqlConnectionStringBuilder
        {
            Server = host,
            Port = (uint)port,
            UserID = user,
            SslMode = MySqlSslMode.None,
            Pooling = false,
        }.ConnectionString;
        var factory = new MySqlConnectionFactory(Options.Create(new DatabaseOptions { ConnectionString = connectionString, ConnectTimeoutSeconds = 1 }));
        try
        {
            await using var connection = await factory.OpenAsync(cancellationToken).WaitAsync(cancellationToken);
            return new AnonymousAttempt(what, false, $"logged in as '{user}' without a password at {host}:{port}");
        }
        catch (MySqlException ex) when (ex.Number is 1045 or 1698 || ex.Message.Contains("Access denied", StringComparison.Ordinal))
        {
            return new AnonymousAttempt(what, true, ex.Message);
        }
        catch (Exception ex) when (ex is MySqlException or TimeoutException or SocketException or OperationCanceledException)
        {
            return new AnonymousAttempt(what, false, $"cannot tell: {host}:{port} {ProbeFailure.Describe(ex)}");
        }
    }
}
