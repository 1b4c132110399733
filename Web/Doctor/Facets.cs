using SecondServer.Infrastructure.Diagnostics;

namespace SecondServer.Web.Doctor;

/// <summary>The facets several rules compare, so that each is described and fixed the same way everywhere.</summary>
internal static class Facets
{
    public static readonly Facet MySqlServer = new(
        What: "MySQL server",
        Value: f => f.Database.Server ?? $"unreachable ({f.Database.Error})",
        Fix: "give every instance the same ConnectionStrings:appdb",
        Error: f => f.Database.Error);

    public static readonly Facet MySqlDatabase = new("database", f => f.Database.Database ?? "none", "give every instance the same ConnectionStrings:appdb");

    public static readonly Facet RedisServer = new(
        What: "Redis server",
        Value: f => f.Redis.RunId ?? $"unreachable ({f.Redis.Error})",
        Fix: "give every instance the same ConnectionStrings:redis",
        Error: f => f.Redis.Error);

    public static readonly Facet RedisDatabase = new(
        What: "Redis db",
        Value: f => f.Redis.Database.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Fix: "give every instance the same ConnectionStrings:redis");

    public static readonly Facet RedisPrefix = new("key prefix", f => f.Redis.KeyPrefix, "give every instance the same Redis:KeyPrefix");

    public static readonly Facet[] Redis = [RedisServer, RedisDatabase, RedisPrefix];

    public static string DescribeRedis(InstanceFingerprint f) => $"Redis {Short(f.Redis.RunId)} db{f.Redis.Database} prefix {f.Redis.KeyPrefix}";

    public static string DescribeMySql(InstanceFingerprint f) => $"MySQL {f.Database.Server}/{f.Database.Database}";

    /// <summary>Enough of an id to tell two apart in one line.</summary>
    public static string Short(string? id) => id is null ? "none" : id.Length <= 12 ? id : id[..12];
}
