using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;

namespace SecondServer.Infrastructure.Data;

/// <summary>
/// The server version Pomelo writes SQL for: <c>Database:ServerVersion</c> when set, else asked of the server once.
/// Asking connects, so it happens when the first context is made (the migrator's, which retries while MySQL is
/// unreachable), never while the host is built: a process must start, and say why it is not ready, without MySQL.
/// </summary>
internal sealed class ServerVersionSource(IOptions<DatabaseOptions> options)
{
    private readonly Lock _gate = new();
    private ServerVersion? _version;

    public ServerVersion Get()
    {
        lock (_gate)
        {
            var configured = options.Value.ServerVersion;
            return _version ??= string.IsNullOrWhiteSpace(configured)
                ? ServerVersion.AutoDetect(options.Value.BuildConnectionString())
                : ServerVersion.Parse(configured);
        }
    }
}
