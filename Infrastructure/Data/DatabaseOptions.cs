using Microsoft.Extensions.Options;
using MySqlConnector;
using SecondServer.Infrastructure.Configuration;

namespace SecondServer.Infrastructure.Data;

/// <summary>The shared MySQL database and how this process sizes its share of it.</summary>
internal sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string ExpectedFormat = "Server=<host>;Port=<port>;User ID=<user>;Password=<secret>;Database=<name>";

    /// <summary>From <c>ConnectionStrings:appdb</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Connections this process may hold. Every replica and worker has its own pool, so the sum over all processes
    /// must stay under the server's <c>max_connections</c> (151 by default).
    /// </summary>
    public int MaxPoolSize { get; set; } = 30;

    public int ConnectTimeoutSeconds { get; set; } = 5;

    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>Apply pending migrations at startup (under a MySQL lock, so only one process applies each).</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// The server EF Core writes SQL for, as Pomelo parses it (<c>8.4.0-mysql</c>, <c>10.11.0-mariadb</c>). Unset, it
    /// is asked of the server when the first context is made, as the Aspire integration does.
    /// </summary>
    public string? ServerVersion { get; set; }

    /// <summary>
    /// How often EF Core retries an operation that failed on a transient error (a dropped connection, a deadlock, a
    /// failover). Kept low: a request should fail over to the other replica rather than wait out long back-offs.
    /// </summary>
    public int MaxRetryCount { get; set; } = 3;

    /// <summary>The longest pause between two of those retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public string BuildConnectionString()
    {
        var builder = new MySqlConnectionStringBuilder(ConnectionString ?? "")
        {
            MaximumPoolSize = (uint)MaxPoolSize,
            ConnectionTimeout = (uint)ConnectTimeoutSeconds,
            DefaultCommandTimeout = (uint)CommandTimeoutSeconds,
            // A pooled connection must not carry session state (variables, temporary tables) into its next use.
            ConnectionReset = true,
            AllowUserVariables = true,
        };
        return builder.ConnectionString;
    }
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        var key = ConnectionStringKeys.PathOf(ConnectionStringKeys.Database);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{key} is missing; expected {DatabaseOptions.ExpectedFormat}.");
        }

        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"{key} is malformed ({ex.Message}); expected {DatabaseOptions.ExpectedFormat}.");
        }

        var missing = new[] { ("Server", builder.Server), ("User ID", builder.UserID), ("Database", builder.Database) }
            .Where(p => string.IsNullOrWhiteSpace(p.Item2)).Select(p => p.Item1).ToList();
        if (missing.Count > 0)
        {
            return ValidateOptionsResult.Fail($"{key} lacks {string.Join(", ", missing)}; expected {DatabaseOptions.ExpectedFormat}.");
        }

        if (options.MaxPoolSize is < 1 or > 1000)
        {
            return ValidateOptionsResult.Fail($"{DatabaseOptions.Section}:MaxPoolSize must be between 1 and 1000.");
        }

        if (options.MaxRetryCount is < 0 or > 10 || options.MaxRetryDelay < TimeSpan.Zero || options.MaxRetryDelay > TimeSpan.FromMinutes(1))
        {
            return ValidateOptionsResult.Fail($"{DatabaseOptions.Section}:MaxRetryCount must be between 0 and 10 and MaxRetryDelay between 0 and 1 minute.");
        }

        if (!string.IsNullOrWhiteSpace(options.ServerVersion) && !Microsoft.EntityFrameworkCore.ServerVersion.TryParse(options.ServerVersion, out _))
        {
            return ValidateOptionsResult.Fail($"{DatabaseOptions.Section}:ServerVersion '{options.ServerVersion}' is not a server version such as 8.4.0-mysql or 10.11.0-mariadb.");
        }

        return options.ConnectTimeoutSeconds < 1 || options.CommandTimeoutSeconds < 1
            ? ValidateOptionsResult.Fail($"{DatabaseOptions.Section}:ConnectTimeoutSeconds and CommandTimeoutSeconds must be at least 1.")
            : ValidateOptionsResult.Success;
    }
}
