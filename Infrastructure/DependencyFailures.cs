using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Storage;
using StackExchange.Redis;

namespace SecondServer.Infrastructure;

/// <summary>
/// Tells an outage of a shared dependency from a bug, so a request that needs Redis, MySQL or S3 while it is down
/// answers 503 naming it (and the client may retry) instead of 500, and never falls back to local state that
/// would split the cluster.
/// </summary>
internal sealed class DependencyFailures(IDbConnectionFactory database)
{
    /// <summary>The dependency that failed ("Redis", "MySQL", "S3"), or null when the error is not an outage.</summary>
    public string? DependencyOf(Exception exception) => exception switch
    {
        RedisException or RedisConnectionException or RedisTimeoutException => "Redis",
        StorageUnavailableException => "S3",
        _ when database.IsConnectionFailure(exception) => "MySQL",
        { InnerException: { } inner } => DependencyOf(inner),
        _ => null,
    };
}
