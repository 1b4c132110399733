using System.Collections;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using MySql.Data.MySqlClient;

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
/// The one place that knows the driver (MySql.Data 8.0.16, the version that restores here) and contains its three
/// defects, so a later switch to MySqlConnector changes this file only:
/// <list type="number">
/// <item>It does not know MariaDB 10.6+/MySQL 8.0.30+'s charset name <c>utf8mb3</c> and then corrupts the
/// connection's protocol state; <see cref="AliasUtf8mb3"/> maps it to the driver's <c>utf8</c> entry.</item>
/// <item>Its async methods run synchronously on the caller's thread; commands here are moved to the thread pool so
/// concurrent awaits really overlap, and startup raises the pool's minimum threads to the connection pool size.</item>
/// <item>A transaction begun without an isolation level fails with a syntax error; the server's default is used.</item>
/// <item>A cancellation token passed to it surfaces as a NullReferenceException from inside the driver; here the
/// token cancels the query on the server (KILL QUERY) and surfaces as an <see cref="OperationCanceledException"/>.</item>
/// </list>
/// </summary>
internal sealed class MySqlConnectionFactory : IDbConnectionFactory
{
    private static readonly Lazy<bool> Utf8mb3Aliased = new(AliasUtf8mb3);
    private readonly string _connectionString;
    private readonly MySqlConnectionStringBuilder _described;

    public MySqlConnectionFactory(IOptions<DatabaseOptions> options)
    {
        _ = Utf8mb3Aliased.Value;
        _connectionString = options.Value.BuildConnectionString();
        _described = new MySqlConnectionStringBuilder(_connectionString);
        EnsureThreadPoolFits(options.Value.MaxPoolSize);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new DriverConnection(new MySqlConnection(_connectionString));
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
        // 1040 too many connections, 1042 cannot connect, 1045 access denied (the credentials may be rotating),
        // 1053 server shutdown in progress, 2006 gone away, 2013 lost connection during query.
        MySqlException { Number: 1040 or 1042 or 1045 or 1053 or 2006 or 2013 } => true,
        MySqlException { InnerException: SocketException or IOException or EndOfStreamException or TimeoutException } => true,
        MySqlException { InnerException: { } inner } => IsConnectionFailure(inner),
        MySqlException m => m.Message.StartsWith("Unable to connect to any of the specified MySQL hosts", StringComparison.Ordinal),
        AggregateException a => a.InnerExceptions.Any(IsConnectionFailure),
        _ => false,
    };

    public bool IsDuplicateKey(Exception exception) => exception is MySqlException { Number: 1062 };

    public string Describe() => $"{_described.Server}:{_described.Port}/{_described.Database}";

    private static void EnsureThreadPoolFits(int maxPoolSize)
    {
        // Each in-flight query blocks a pool thread (see above); without headroom the pool's slow thread injection
        // turns a burst of queries into connect timeouts.
        ThreadPool.GetMinThreads(out var worker, out var io);
        var wanted = maxPoolSize + (2 * Environment.ProcessorCount) + 8;
        if (worker < wanted)
        {
            ThreadPool.SetMinThreads(wanted, io);
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "The driver's own internal type, kept by its assembly.")]
    private static bool AliasUtf8mb3()
    {
        var map = typeof(MySqlConnection).Assembly.GetType("MySql.Data.MySqlClient.CharSetMap", throwOnError: true)!;
        RuntimeHelpers.RunClassConstructor(map.TypeHandle);
        const BindingFlags Static = BindingFlags.Static | BindingFlags.NonPublic;
        var field = map.GetField("_mapping", Static)
            ?? throw new InvalidOperationException("MySql.Data's CharSetMap changed; the utf8mb3 alias needs a new look.");
        if (field.GetValue(null) is null)
        {
            map.GetMethod("InitializeMapping", Static)!.Invoke(null, null);
        }

        var mapping = (IDictionary)field.GetValue(null)!;
        if (!mapping.Contains("utf8mb3"))
        {
            mapping["utf8mb3"] = mapping["utf8"];
        }

        return true;
    }

    private sealed class DriverConnection(MySqlConnection inner) : DbConnection
    {
        [AllowNull]
        public override string ConnectionString
        {
            get => inner.ConnectionString;
            set => inner.ConnectionString = value;
        }

        public override string Database => inner.Database;

        public override string DataSource => inner.DataSource;

        public override string ServerVersion => inner.ServerVersion;

        public override ConnectionState State => inner.State;

        public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

        public override void Close() => inner.Close();

        public override void Open() => inner.Open();

        public override async Task OpenAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Bounded by the connect timeout; not abandoned on cancellation, so the connection is never left half open.
            await Task.Run(inner.Open, CancellationToken.None);
        }

        // The driver turns Unspecified (what BeginTransactionAsync() passes) into "SET ... ISOLATION LEVEL " and a syntax error.
        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
            new DriverTransaction(this, isolationLevel == IsolationLevel.Unspecified ? inner.BeginTransaction() : inner.BeginTransaction(isolationLevel));

        protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await Task.Run(() => BeginDbTransaction(isolationLevel), CancellationToken.None);
        }

        protected override DbCommand CreateDbCommand() => new DriverCommand(this, inner.CreateCommand());

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            inner.Dispose();
            return base.DisposeAsync();
        }
    }

    private sealed class DriverTransaction(DriverConnection connection, MySqlTransaction inner) : DbTransaction
    {
        public MySqlTransaction Inner => inner;

        public override IsolationLevel IsolationLevel => inner.IsolationLevel;

        protected override DbConnection DbConnection => connection;

        public override void Commit() => inner.Commit();

        public override void Rollback() => inner.Rollback();

        public override Task CommitAsync(CancellationToken cancellationToken = default) => Task.Run(inner.Commit, CancellationToken.None);

        public override Task RollbackAsync(CancellationToken cancellationToken = default) => Task.Run(inner.Rollback, CancellationToken.None);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class DriverCommand(DriverConnection connection, MySqlCommand inner) : DbCommand
    {
        private DbTransaction? _transaction;

        [AllowNull]
        public override string CommandText
        {
            get => inner.CommandText;
            set => inner.CommandText = value;
        }

        public override int CommandTimeout
        {
            get => inner.CommandTimeout;
            set => inner.CommandTimeout = value;
        }

        public override CommandType CommandType
        {
            get => inner.CommandType;
            set => inner.CommandType = value;
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource
        {
            get => inner.UpdatedRowSource;
            set => inner.UpdatedRowSource = value;
        }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set => throw new NotSupportedException("A command stays with the connection that created it.");
        }

        protected override DbParameterCollection DbParameterCollection => inner.Parameters;

        protected override DbTransaction? DbTransaction
        {
            get => _transaction;
            set
            {
                _transaction = value;
                inner.Transaction = (value as DriverTransaction)?.Inner;
            }
        }

        public override void Cancel() => inner.Cancel();

        public override int ExecuteNonQuery() => inner.ExecuteNonQuery();

        public override object? ExecuteScalar() => inner.ExecuteScalar();

        public override void Prepare() => inner.Prepare();

        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) =>
            RunAsync(inner.ExecuteNonQuery, cancellationToken);

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) =>
            RunAsync(inner.ExecuteScalar, cancellationToken);

        protected override DbParameter CreateDbParameter() => inner.CreateParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => inner.ExecuteReader(behavior);

        protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
            RunAsync<DbDataReader>(() => inner.ExecuteReader(behavior), cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private async Task<T> RunAsync<T>(Func<T> execute, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Disposing the registration waits for a running callback, so a late cancel cannot kill a later query.
            using var registration = cancellationToken.CanBeCanceled
                ? cancellationToken.Register(static state => ((MySqlCommand)state!).Cancel(), inner)
                : default;
            try
            {
                return await Task.Run(execute, CancellationToken.None);
            }
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                throw new OperationCanceledException("The query was cancelled on the server.", ex, cancellationToken);
            }
        }
    }
}
