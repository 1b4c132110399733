using System.Security.Cryptography;
using System.Text;
using Dapper;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Tests.Support;

/// <summary>
/// The previous release's migrator, as it ran at start-up and in <c>dotnet Web.dll migrate</c>: its own SQL files
/// (<c>Fixtures/SqlFileRelease</c>, as it shipped them) and its logic, kept here to make databases as it made them
/// and to prove it still starts against a database the EF Core release migrated (a rolling deploy runs both).
/// </summary>
internal static class SqlFileReleaseMigrator
{
    private const string Prefix = "sql-file-release/";

    /// <summary>Its files, in the order it applied them: id (file name) and text.</summary>
    public static IReadOnlyList<(string Id, string Sql)> Files { get; } = Load();

    /// <summary>How it fingerprinted a file: SHA-256 of the UTF-8 text with its line endings made \n.</summary>
    public static string Checksum(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    /// <summary>
    /// What it did when it started: under the same named lock, apply each file missing from <c>schema_migrations</c>,
    /// after refusing to start if a recorded file's checksum differs. Returns the ids it applied.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(IDbConnectionFactory database, string instance, IEnumerable<(string Id, string Sql)>? files = null)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        var lockName = $"migrate:{connection.Database}";
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT GET_LOCK(@lockName, 60)", new { lockName }));
        try
        {
            await connection.ExecuteAsync(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id          VARCHAR(190) NOT NULL PRIMARY KEY,
                    checksum    CHAR(64)     NOT NULL,
                    applied_at  DATETIME(6)  NOT NULL,
                    applied_by  VARCHAR(190) NOT NULL,
                    duration_ms INT          NOT NULL
                ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
                """);
            var applied = (await connection.QueryAsync<(string Id, string Checksum)>("SELECT id, checksum FROM schema_migrations"))
                .ToDictionary(r => r.Id, r => r.Checksum, StringComparer.Ordinal);
            var all = (files ?? Files).ToList();
            foreach (var (id, sql) in all.Where(f => applied.ContainsKey(f.Id)))
            {
                if (applied[id] != Checksum(sql))
                {
                    throw new InvalidOperationException($"Migration {id} was changed after it was applied.");
                }
            }

            var done = new List<string>();
            foreach (var (id, sql) in all.Where(f => !applied.ContainsKey(f.Id)))
            {
                await connection.ExecuteAsync(sql);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (id, checksum, applied_at, applied_by, duration_ms) VALUES (@id, @checksum, UTC_TIMESTAMP(6), @instance, 0)",
                    new { id, checksum = Checksum(sql), instance });
                done.Add(id);
            }

            return done;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT RELEASE_LOCK(@lockName)", new { lockName });
        }
    }

    private static List<(string Id, string Sql)> Load()
    {
        var assembly = typeof(SqlFileReleaseMigrator).Assembly;
        var files = new List<(string Id, string Sql)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!, Encoding.UTF8);
            files.Add((name[Prefix.Length..^".sql".Length], reader.ReadToEnd()));
        }

        return [.. files.OrderBy(f => f.Id, StringComparer.Ordinal)];
    }
}
