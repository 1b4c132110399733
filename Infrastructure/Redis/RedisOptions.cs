using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Redis;

/// <summary>Where the shared Redis is and how this process names its keys there.</summary>
internal sealed class RedisOptions
{
    public const string Section = "Redis";
    public const string ExpectedFormat = "host:port,password=<secret> (StackExchange.Redis format)";

    /// <summary>From <c>ConnectionStrings:redis</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Prefix of every key this application writes, so one Redis can serve several applications or test runs.
    /// Every replica must use the same prefix, or they stop sharing sessions, locks and the queue.
    /// </summary>
    public string KeyPrefix { get; set; } = "ss:";

    /// <summary>
    /// What every connection of this application sets on top of the connection string: the process must start and
    /// report 503 while Redis is down, and reconnect by itself when it returns.
    /// </summary>
    public static void ApplyClusterDefaults(ConfigurationOptions configuration, string clientName)
    {
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 2000);
        configuration.ConnectRetry = Math.Max(configuration.ConnectRetry, 3);
        // Back within a fraction of a second of Redis answering again: the multiplexer tries to reconnect on its
        // heartbeat, once the retry policy allows, and the defaults (1 s heartbeat, exponential backoff from half the
        // connect timeout) would keep a recovered Redis unused for seconds. A refused connection costs next to nothing.
        configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        configuration.ReconnectRetryPolicy = new LinearRetry(100);
        configuration.ClientName ??= clientName;
        // Replies are read on the .NET thread pool, where their continuations run anyway, instead of on the client's
        // own reader threads with a hand-over to the pool for each reply: on a small machine every hand-over is a
        // context switch. Those threads guard against a starved pool; nothing here blocks a pool thread.
        configuration.SocketManager = SocketManager.ThreadPool;
    }
}

internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var key = ConnectionStringKeys.PathOf(ConnectionStringKeys.Redis);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{key} is missing; expected {RedisOptions.ExpectedFormat}.");
        }

        try
        {
            if (ConfigurationOptions.Parse(options.ConnectionString).EndPoints.Count == 0)
            {
                return ValidateOptionsResult.Fail($"{key} names no host; expected {RedisOptions.ExpectedFormat}.");
            }
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{key} is malformed ({ex.Message}); expected {RedisOptions.ExpectedFormat}.");
        }

        return string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.Length > 64
            ? ValidateOptionsResult.Fail($"{RedisOptions.Section}:KeyPrefix must be 1 to 64 characters.")
            : ValidateOptionsResult.Success;
    }
}
