using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace SecondServer.Infrastructure.Redis;

/// <summary>
/// The one multiplexer of this process. It connects lazily and never throws for an unreachable server: it keeps
/// reconnecting in the background while commands fail fast, so readiness can say "redis down" and recover.
/// </summary>
/// <remarks>
/// StackExchange.Redis 1.2.6 is the client that restores here. Use only its async API: a synchronous call made in a
/// continuation of one of its awaits can run on the socket reader thread and stall it until the sync timeout.
/// </remarks>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;

    public RedisConnection(IOptions<RedisOptions> options, IConfiguration configuration, ILogger<RedisConnection> logger)
    {
        var value = options.Value;
        KeyPrefix = value.KeyPrefix;
        var clientName = (configuration["App:InstanceId"] ?? "secondserver").Replace(' ', '-').Replace(':', '-');
        var redisConfiguration = value.ToConfiguration(clientName);
        Endpoint = string.Join(",", redisConfiguration.EndPoints.Select(e => e.ToString()));
        _multiplexer = new Lazy<Task<ConnectionMultiplexer>>(async () =>
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(redisConfiguration);
            // Continuations run on the thread pool instead of one ordered completion queue: higher throughput, and
            // nothing here depends on the order in which unrelated replies complete.
            multiplexer.PreserveAsyncOrder = false;
            multiplexer.ConnectionFailed += (_, e) => logger.LogWarning("Redis connection lost ({FailureType}) to {Endpoint}", e.FailureType, e.EndPoint);
            multiplexer.ConnectionRestored += (_, e) => logger.LogInformation("Redis connection restored to {Endpoint}", e.EndPoint);
            if (!multiplexer.IsConnected)
            {
                logger.LogWarning("Redis at {Endpoint} is not reachable yet; retrying in the background", Endpoint);
            }

            return multiplexer;
        });
    }

    /// <summary>The prefix in front of every key this application writes.</summary>
    public string KeyPrefix { get; }

    /// <summary>Where the server is, for messages and diagnostics (never the password).</summary>
    public string Endpoint { get; }

    public async Task<ConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken) =>
        await _multiplexer.Value.WaitAsync(cancellationToken);

    /// <summary>The database with this application's key prefix applied to every key, scripts' KEYS included.</summary>
    public async Task<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await GetMultiplexerAsync(cancellationToken);
        return multiplexer.GetDatabase().WithKeyPrefix(KeyPrefix);
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.CloseAsync(allowCommandsToComplete: true);
            _multiplexer.Value.Result.Dispose();
        }
    }
}
