namespace SecondServer.Infrastructure.Diagnostics;

/// <summary>
/// What one process is wired to, as <c>GET /internal/diagnostics</c> reports it. Two instances that disagree on any
/// of these do not share state the way rule 2 needs: the second-server doctor compares them across the cluster.
/// </summary>
internal sealed record InstanceFingerprint(
    string Instance,
    string Host,
    DatabaseFingerprint Database,
    RedisFingerprint Redis,
    StorageFingerprint Storage,
    DataProtectionFingerprint DataProtection,
    string SessionStore,
    string SchedulerMutexStore,
    ReleaseFingerprint Release);

/// <summary>The MySQL server (its identity, not its address), the database, and the latest applied migration.</summary>
internal sealed record DatabaseFingerprint(string Endpoint, string? Server, string? Database, string? LatestMigration, string? Error);

/// <summary>The Redis server's <c>run_id</c> (new at each server start), the database number and the key prefix.</summary>
internal sealed record RedisFingerprint(string Endpoint, string? RunId, int Database, string KeyPrefix, string? Error);

/// <summary>The S3 endpoint and bucket.</summary>
internal sealed record StorageFingerprint(string Endpoint, string Bucket);

/// <summary>The Data Protection application name and the ids of the keys in the ring.</summary>
internal sealed record DataProtectionFingerprint(string ApplicationName, IReadOnlyList<string> KeyIds, string? Error);

/// <summary>
/// The release folder the process runs from, its assembly's informational version, and when the process started
/// (an operator's uptime, and a restart loop shows as an uptime that never grows).
/// </summary>
internal sealed record ReleaseFingerprint(string Name, string Version, DateTimeOffset StartedAt);
