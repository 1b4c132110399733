using Dapper;
using Microsoft.EntityFrameworkCore;
using MySqlConnector;
using SecondServer.Application.Accounts;
using SecondServer.Application.Data.Migrations;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Data;

/// <summary>
/// The EF Core migrations against real MariaDB: applied once however many processes start at once, identical to the
/// schema the SQL-file release made, baselining such a database with its rows intact, and leaving the SQL-file
/// release (which runs beside this one during a rolling deploy) nothing to apply.
/// </summary>
public sealed class MigrationTests : IAsyncLifetime
{
    // Every migration, oldest first; those after the initial one only add, so the previous release runs beside them.
    internal static readonly string[] AllMigrations = [InitialSchema.Id, ScheduleManualRuns.Id];

    // The schema rows (as SchemaOf writes them) of what the migrations after the initial one added.
    private static readonly string[] AddedLater =
    [
        "column|schedule_runs|10|requested_by|varchar(190)|YES|",
        "index|schedule_runs|ix_schedule_runs_job_status_slot|1|1|job|",
        "index|schedule_runs|ix_schedule_runs_job_status_slot|1|2|status|",
        "index|schedule_runs|ix_schedule_runs_job_status_slot|1|3|slot|",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Three_processes_migrating_at_once_apply_the_schema_exactly_once()
    {
        var processes = Enumerable.Range(1, 3).Select(i => new AppSchema(_database.ConnectionString, $"node-{i}")).ToList();
        try
        {
            var results = await Task.WhenAll(processes.Select(p => Task.Run(() => p.MigrateAsync(Ct), Ct)));

            Assert.Equal(AllMigrations, results.SelectMany(r => r));
            Assert.Equal(AllMigrations, await QueryAsync<string>("SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId"));
            Assert.Equal(0, await ScalarAsync<int>("SELECT IS_USED_LOCK(CONCAT('migrate:', DATABASE())) IS NOT NULL"));
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_migrations_make_exactly_the_schema_the_SQL_file_release_made_plus_the_later_additions()
    {
        await using var previous = await TestDatabase.CreateAsync();
        await SqlFileReleaseMigrator.MigrateAsync(previous.Connections, "old-release");
        await AppSchema.MigrateAsync(_database.ConnectionString, Ct);

        var expected = await SchemaOf(previous);
        var actual = await SchemaOf(_database);

        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual.Where(row => !AddedLater.Any(added => row.StartsWith(added, StringComparison.Ordinal))));
        Assert.All(AddedLater, added => Assert.Single(actual, row => row.StartsWith(added, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_database_made_by_the_SQL_file_release_is_baselined_with_every_row_intact_and_the_app_works_on_it()
    {
        await SqlFileReleaseMigrator.MigrateAsync(_database.Connections, "old-release");
        await ExecuteAsync(
            """
            INSERT INTO accounts (email, email_normalized, display_name, password_hash, picture_key, created_at, updated_at)
            VALUES ('Ada@Example.com', 'ada@example.com', 'Ada', 'hash', 'avatars/1/a.png', '2026-11-20 10:00:00.123456', '2026-11-20 10:00:00.123456');
            INSERT INTO reports (id, status, object_key, requested_by, created_at, finished_at)
            VALUES ('0193a1b2-0000-7000-8000-000000000001', 'done', 'reports/1.csv', LAST_INSERT_ID(), '2026-11-21 08:00:00', '2026-11-21 08:01:00');
            INSERT INTO failed_jobs (job_id, queue, job_type, payload, exception, attempts, failed_at, failed_by)
            VALUES ('job-1', 'default', 'report:generate', '{}', 'boom', 3, '2026-11-22 09:00:00', 'worker-1');
            INSERT INTO schedule_runs (job, slot, instance, started_at, finished_at, status, claimed_slot)
            VALUES ('heartbeat', '2026-11-22 09:00:05', 'web-1', '2026-11-22 09:00:05', '2026-11-22 09:00:05', 'ok', '2026-11-22 09:00:05');
            INSERT INTO queue_probe_runs (job_id, label, attempt, instance, started_at) VALUES ('probe-1', 'probe', 1, 'worker-1', '2026-11-22 09:00:00');
            """);
        var before = await RowsAsync();
        var recordBefore = await QueryAsync<string>("SELECT CONCAT_WS('|', id, checksum, applied_at, applied_by, duration_ms) FROM schema_migrations ORDER BY id");

        await using var schema = new AppSchema(_database.ConnectionString, "new-release");
        var done = await schema.MigrateAsync(Ct);

        Assert.Equal([$"{InitialSchema.Id} (baselined)", .. AllMigrations.Skip(1)], done);
        Assert.Equal(AllMigrations, await QueryAsync<string>("SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId"));
        Assert.Equal(before, await RowsAsync(except: ("schedule_runs", "requested_by")));
        Assert.Equal(recordBefore, await QueryAsync<string>("SELECT CONCAT_WS('|', id, checksum, applied_at, applied_by, duration_ms) FROM schema_migrations ORDER BY id"));
        Assert.Empty(await schema.MigrateAsync(Ct));

        // The app's own store on the baselined database: reads the old rows, writes new ones, and the unique index still decides.
        var accounts = new AccountStore(schema.Contexts, _database.Connections, TimeProvider.System);
        var ada = await accounts.FindByEmailAsync("ADA@example.com", Ct);
        Assert.Equal(("Ada", "avatars/1/a.png"), (ada?.DisplayName, ada?.PictureKey));
        Assert.Null(await accounts.CreateAsync("ada@EXAMPLE.com", "Imposter", "hash", Ct));
        Assert.NotNull(await accounts.CreateAsync("grace@example.com", "Grace", "hash", Ct));
        Assert.Equal((true, "avatars/1/a.png"), await accounts.SwapPictureKeyAsync(ada!.Id, "avatars/1/b.png", Ct));
        // A report the SQL-file release wrote (its id as CHAR(36) text) reads back through EF Core as the Guid it was.
        await using var db = await schema.Contexts.CreateDbContextAsync(Ct);
        var report = await db.Reports.SingleAsync(r => r.Id == Guid.Parse("0193a1b2-0000-7000-8000-000000000001"), Ct);
        Assert.Equal(("done", ada.Id, new DateTime(2026, 11, 21, 8, 0, 0)), (report.Status, report.RequestedBy, report.CreatedAt));
    }

    [Fact]
    public async Task The_SQL_file_release_finds_nothing_to_apply_on_a_database_the_EF_Core_release_made()
    {
        await AppSchema.MigrateAsync(_database.ConnectionString, Ct);

        // A roll-back, or the previous release's replica restarted mid-deploy: it must start without touching the schema.
        Assert.Empty(await SqlFileReleaseMigrator.MigrateAsync(_database.Connections, "old-release"));
        Assert.Equal(SqlFileReleaseMigrator.Files.Select(f => f.Id), await QueryAsync<string>("SELECT id FROM schema_migrations ORDER BY id"));
    }

    [Fact]
    public async Task The_SQL_file_release_finds_nothing_to_apply_on_a_database_the_EF_Core_release_baselined()
    {
        await SqlFileReleaseMigrator.MigrateAsync(_database.Connections, "old-release");
        await AppSchema.MigrateAsync(_database.ConnectionString, Ct);

        Assert.Empty(await SqlFileReleaseMigrator.MigrateAsync(_database.Connections, "old-release"));
    }

    [Fact]
    public async Task A_database_made_by_an_older_SQL_file_release_is_refused_with_what_it_lacks()
    {
        await SqlFileReleaseMigrator.MigrateAsync(_database.Connections, "older-release", SqlFileReleaseMigrator.Files.Take(2));

        await using var schema = new AppSchema(_database.ConnectionString);
        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => schema.MigrateAsync(Ct));

        Assert.Contains(SqlFileReleaseMigrator.Files[2].Id, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await ScalarAsync<int>("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '__EFMigrationsHistory'"));
    }

    [Fact]
    public async Task A_failed_migration_stops_with_its_name_and_is_not_recorded()
    {
        // The schema is there but the history is not: the initial migration's CREATE TABLE fails on the first table.
        await ExecuteAsync("CREATE TABLE accounts (id INT PRIMARY KEY)");

        await using var schema = new AppSchema(_database.ConnectionString);
        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => schema.MigrateAsync(Ct));

        Assert.Contains(InitialSchema.Id, error.Message, StringComparison.Ordinal);
        Assert.Empty(await QueryAsync<string>("SELECT MigrationId FROM __EFMigrationsHistory"));
    }

    // Every table's options, columns, indexes and foreign keys, as information_schema reports them; EF Core's history excepted.
    private static async Task<List<string>> SchemaOf(TestDatabase database)
    {
        await using var connection = await database.Connections.OpenAsync(Ct);
        const string Mine = "TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '__EFMigrationsHistory'";
        var rows = new List<string>();
        rows.AddRange(await connection.QueryAsync<string>(
            $"SELECT CONCAT_WS('|', 'table', TABLE_NAME, ENGINE, TABLE_COLLATION) FROM information_schema.TABLES WHERE {Mine}"));
        rows.AddRange(await connection.QueryAsync<string>(
            $"""
            SELECT CONCAT_WS('|', 'column', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '-'),
                IFNULL(CHARACTER_SET_NAME, '-'), IFNULL(COLLATION_NAME, '-'), EXTRA, COLUMN_KEY)
            FROM information_schema.COLUMNS WHERE {Mine}
            """));
        rows.AddRange(await connection.QueryAsync<string>(
            $"SELECT CONCAT_WS('|', 'index', TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE) FROM information_schema.STATISTICS WHERE {Mine}"));
        rows.AddRange(await connection.QueryAsync<string>(
            """
            SELECT CONCAT_WS('|', 'fk', r.TABLE_NAME, r.CONSTRAINT_NAME, r.REFERENCED_TABLE_NAME, r.UPDATE_RULE, r.DELETE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME)
            FROM information_schema.REFERENTIAL_CONSTRAINTS r
            JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME
            WHERE r.CONSTRAINT_SCHEMA = DATABASE()
            """));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    // Every table's rows, leaving out the columns later migrations added (NULL on old rows).
    private async Task<List<string>> RowsAsync((string Table, string Column)? except = null)
    {
        var rows = new List<string>();
        foreach (var table in new[] { "accounts", "reports", "failed_jobs", "schedule_runs", "queue_probe_runs" })
        {
            var columns = await QueryAsync<string>($"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION");
            columns.RemoveAll(c => (table, c) == except);
            rows.AddRange(await QueryAsync<string>($"SELECT CONCAT_WS('|', '{table}', {string.Join(", ", columns.Select(c => $"IFNULL({c}, 'NULL')"))}) FROM {table} ORDER BY 1"));
        }

        return rows;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await _database.Connections.OpenAsync(Ct);
        await connection.ExecuteAsync(sql);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await _database.Connections.OpenAsync(Ct);
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = await _database.Connections.OpenAsync(Ct);
        try
        {
            return [.. await connection.QueryAsync<T>(sql)];
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.NoSuchTable)
        {
            return [];
        }
    }
}
