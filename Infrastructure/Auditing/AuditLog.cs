using System.Text.Json;
using System.Text.Json.Serialization;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Infrastructure.Auditing;

/// <summary>One operator action: who did what to what, when, and through which replica.</summary>
internal sealed record AuditEntry(DateTimeOffset At, string Actor, string Action, string Target, string Instance);

/// <summary>
/// The operators' audit trail: every state-changing action of the admin pages (pause, resume, retry, delete),
/// newest first, in one capped Redis list shared by every replica. Redis keeps it across restarts (AOF); it is a
/// trail for the people running the cluster, bounded to the newest <see cref="Kept"/> entries, not a compliance log.
/// </summary>
internal sealed class AuditLog(RedisConnection redis, TimeProvider time)
{
    public const int Kept = 500;
    private const string Key = "audit";

    public async Task RecordAsync(string actor, string action, string target, string instance, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = JsonSerializer.Serialize(new AuditEntry(time.GetUtcNow(), actor, action, target, instance), AuditJson.Default.AuditEntry);
        var transaction = redis.Database.CreateTransaction();
        var push = transaction.ListLeftPushAsync(Key, entry);
        var trim = transaction.ListTrimAsync(Key, 0, Kept - 1);
        await transaction.ExecuteAsync();
        await Task.WhenAll(push, trim);
    }

    public async Task<IReadOnlyList<AuditEntry>> NewestAsync(int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var values = await redis.Database.ListRangeAsync(Key, 0, Math.Clamp(count, 1, Kept) - 1);
        return [.. values.Select(v => JsonSerializer.Deserialize((string)v!, AuditJson.Default.AuditEntry)).OfType<AuditEntry>()];
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class AuditJson : JsonSerializerContext;
