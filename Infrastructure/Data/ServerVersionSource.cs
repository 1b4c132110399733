using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace SecondServer.Infrastructure.Data;

/// <summary>
/// The server version Pomelo writes SQL for: <c>Database:ServerVersion</c> when set, else asked of the server once,
/// as the Aspire integration does. Pomelo wants it while the context options are built, which is synchronous; so the
/// migrator asks first, asynchronously (<see cref="DetectAsync"/>), inside its wait-for-MySQL loop. Nothing then
/// blocks a thread on the network while a process starts: on a two-core machine a few blocked pool threads are
/// enough to stall every request for seconds.
/// </summary>
internal sealed class ServerVersionSource(IOptions<DatabaseOptions> options)
{
    private volatile ServerVersion? _version = string.IsNullOrWhiteSpace(options.Value.ServerVersion) ? null : ServerVersion.Parse(options.Value.ServerVersion);

    public async Task DetectAsync(CancellationToken cancellationToken)
    {
        if (_version is null)
        {
            await using var connection = new MySqlConnection(options.Value.BuildConnectionString());
            await connection.OpenAsync(cancellationToken);
            _version = ServerVersion.Parse(connection.ServerVersion);
        }
    }

    /// <summary>The version; asked of the server synchronously only if a context is made before the migrator ran.</summary>
    public ServerVersion Get() => _version ??= ServerVersion.AutoDetect(options.Value.BuildConnectionString());
}
