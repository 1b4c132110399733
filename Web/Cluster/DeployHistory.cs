using System.Text.Json;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Web.Cluster;

/// <summary>One run of <c>scripts/deploy</c>: what it rolled out, from what, by whom, when, and how it ended.</summary>
/// <param name="Run">The run's id, as its log names it.</param>
/// <param name="Release">The release it rolled out.</param>
/// <param name="From">The release the replicas ran before.</param>
/// <param name="Mode">build, release or rollback.</param>
/// <param name="Outcome">"ok", or "failed: " and the step that stopped it.</param>
/// <param name="By">Who ran it (user@host).</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended.</param>
internal sealed record DeployRecord(string Run, string Release, string? From, string Mode, string Outcome, string By, DateTimeOffset StartedAt, DateTimeOffset FinishedAt);

/// <summary>The newest deploys, newest first, in a capped Redis list written by <c>scripts/deploy</c> (through <c>dotnet Web.dll record-deploy</c>).</summary>
internal sealed class DeployHistory(RedisConnection redis)
{
    /// <summary>How many deploys are kept.</summary>
    public const int Kept = 50;

    private const string Key = "deploys";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task RecordAsync(DeployRecord deploy, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        await database.ListLeftPushAsync(Key, JsonSerializer.Serialize(deploy, Json)).WaitAsync(cancellationToken);
        await database.ListTrimAsync(Key, 0, Kept - 1).WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DeployRecord>> ListAsync(int count, CancellationToken cancellationToken)
    {
        var values = await redis.Database.ListRangeAsync(Key, 0, count - 1).WaitAsync(cancellationToken);
        return [.. values.Select(v => JsonSerializer.Deserialize<DeployRecord>((string)v!, Json)).OfType<DeployRecord>()];
    }
}
