using Microsoft.EntityFrameworkCore.Migrations;

namespace SecondServer.Infrastructure.Data.Migrations;

/// <summary>
/// Where the EF Core migrations take over from the plain SQL files of the release before them. That release recorded
/// each file it applied in <c>schema_migrations</c> (id and SHA-256 of its text) and, at start-up, applies every file
/// missing there and refuses to start when a recorded checksum differs. The initial EF Core migration creates exactly
/// the schema those files created, so a database they made is baselined: the initial migration is recorded as
/// applied without running, and later migrations run as usual.
/// </summary>
/// <param name="InitialMigration">The id of the EF Core migration that stands for all the SQL files.</param>
/// <param name="SqlMigrations">Each SQL file's id and checksum, as that release recorded them.</param>
internal sealed record SchemaBaseline(string InitialMigration, IReadOnlyDictionary<string, string> SqlMigrations)
{
    /// <summary>The SQL-file release's record of applied files.</summary>
    public const string LegacyTable = "schema_migrations";

    /// <summary>
    /// Writes the SQL-file release's record as that release would have, for the initial migration to call on a fresh
    /// database: during a rolling deploy (or a roll-back) that release may still start against a database the EF Core
    /// release made, and it must find every one of its files applied rather than run them on tables that exist.
    /// </summary>
    public void RecordSqlMigrationsAsApplied(MigrationBuilder migrationBuilder)
    {
        // The very statement the SQL-file release runs first, so either release may find the table made by the other.
        migrationBuilder.Sql(
            $"""
            CREATE TABLE IF NOT EXISTS {LegacyTable} (
                id          VARCHAR(190) NOT NULL PRIMARY KEY,
                checksum    CHAR(64)     NOT NULL,
                applied_at  DATETIME(6)  NOT NULL,
                applied_by  VARCHAR(190) NOT NULL,
                duration_ms INT          NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
            """);
        foreach (var (id, checksum) in SqlMigrations.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            migrationBuilder.Sql(
                $"INSERT IGNORE INTO {LegacyTable} (id, checksum, applied_at, applied_by, duration_ms) VALUES ('{id}', '{checksum}', UTC_TIMESTAMP(6), '{InitialMigration}', 0)");
        }
    }

    /// <summary>Removes what <see cref="RecordSqlMigrationsAsApplied"/> wrote (the initial migration's Down).</summary>
    public void ForgetSqlMigrations(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql($"DELETE FROM {LegacyTable} WHERE applied_by = '{InitialMigration}'");
}
