using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace SecondServer.Tests.Support;

/// <summary>
/// The real servers the suite runs against: containers that <see cref="ServerContainers"/> starts on first use.
/// </summary>
internal static class TestEnvironment
{
    public static string Redis => ServerContainers.Current.Redis;

    public static string Database => ServerContainers.Current.Database;

    public static string Storage => ServerContainers.Current.Storage;

    /// <summary>The same server and user as <see cref="Database"/>, another database name (the user may create sstest_*).</summary>
    public static string DatabaseNamed(string name) =>
        new MySqlConnectionStringBuilder(Database) { Database = name }.ConnectionString;

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SecondServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (SecondServer.sln) was not found above the test binaries.");
    }

    /// <summary>A fresh name for a database, bucket or key prefix, so parallel tests never share state.</summary>
    public static string NewName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 16)];

    /// <summary>A loopback port free right now, for a server the test starts itself.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
