using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace SecondServer.Infrastructure.Data;

/// <summary>Opens connections to the shared database. The rest of the code sees only <see cref="DbConnection"/>.</summary>
internal interface IDbConnectionFactory
{
    /// <summary>An open connection; dispose it to return it to the pool.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>True when the error means the server could not be reached or the connection broke, not bad SQL.</summary>
    bool IsConnectionFailure(Exception exception);

    /// <summary>True when the error is a unique-key violation (the row exists already).</summary>
    bool IsDuplicateKey(Exception exception);

    /// <summary>Server, port and database, for messages and diagnostics (never the password).</summary>
    string Describe();
}

/// <summary>
/// The one place that knows the driver: MySqlConnector, truly async and cancellable (a cancelled query is killed on
/// the server), with MariaDB's <c>utf8mb3</c> charset known. <c>Integration/Data/MySqlDriverTests</c> holds it to that.
/// </summary>
internal sealed class MySqlConnectionFactory(IOptions<DatabaseOptions> options) : IDbConnectionFactory
{
    private readonly string _connectionString = options.Value.BuildConnectionString();

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public bool IsConnectionFailure(Exception exception) => exception switch
    {
        // 1040 too many connections, 1045 access denied (the credentials may be rotating), 1053 server shutdown in
        // progress; the driver's own codes for a host it could not reach or a broken link.
        MySqlException
        {
            ErrorCode: MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.TooManyUserConnections
                or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.AccessDenied or MySqlErrorCode.ServerShutdown
                or MySqlErrorCode.CommandTimeoutExpired
        } => true,
        MySqlException { IsTransient: true } => true,
        MySqlException { InnerException: SocketException or IOException or EndOfStreamException or TimeoutException } => true,
        SocketException or EndOfStreamException => true,
        AggregateException a => a.InnerExceptions.Any(IsConnectionFailure),
        // EF Core's wrappers (DbUpdateException, RetryLimitExceededException, InvalidOperationException) carry the driver's error inside.
        { InnerException: { } inner } => IsConnectionFailure(inner),
        _ => false,
    };

    // EF Core wraps the driver's error (DbUpdateException, or RetryLimitExceededException after retries): look inside.
    public bool IsDuplicateKey(Exception exception) => exception switch
    {
        MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry } => true,
        { InnerException: { } inner } => IsDuplicateKey(inner),
        _ => false,
    };

    public string Describe()
    {
        var described = new MySqlConnectionStringBuilder(_connectionString);
        return $"{described.Server}:{described.Port}/{described.Database}";
    }
}
