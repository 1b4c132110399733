using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using SecondServer.Application.Data;
using SecondServer.Application.Data.Migrations;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Unit;

public sealed class SchemaTests
{
    [Fact]
    public void The_baseline_records_each_SQL_file_of_the_previous_release_as_that_release_fingerprinted_it()
    {
        Assert.Equal(
            SqlFileReleaseMigrator.Files.Select(f => (f.Id, SqlFileReleaseMigrator.Checksum(f.Sql))),
            SqlFileRelease.Baseline.SqlMigrations.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value)));
    }

    [Fact]
    public void The_initial_migration_comes_first_and_the_model_matches_the_last_migration()
    {
        using var context = new AppDbContextDesignTimeFactory().CreateDbContext([]);

        Assert.Equal(InitialSchema.Id, context.Database.GetMigrations().First());
        Assert.Equal(InitialSchema.Id, typeof(InitialSchema).GetCustomAttributes(typeof(MigrationAttribute), false).Cast<MigrationAttribute>().Single().Id);
        // A model change without its migration would fail every start-up; it fails here first.
        Assert.False(context.Database.HasPendingModelChanges());
    }
}
