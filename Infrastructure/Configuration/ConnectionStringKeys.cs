namespace SecondServer.Infrastructure.Configuration;

/// <summary>
/// The Aspire-style connection names (contract): the AppHost's resource names and scripts/up's environment both
/// feed <c>ConnectionStrings:&lt;name&gt;</c>, so the services cannot tell them apart.
/// </summary>
internal static class ConnectionStringKeys
{
    public const string Redis = "redis";
    public const string Database = "appdb";
    public const string Storage = "uploads";

    public static string PathOf(string name) => $"ConnectionStrings:{name}";
}
