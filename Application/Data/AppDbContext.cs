using Microsoft.EntityFrameworkCore;
using SecondServer.Application.Accounts;
using SecondServer.Application.QueueProbe;
using SecondServer.Application.Reports;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.Data;

/// <summary>
/// The application's database: the features' tables and the building blocks' own, so one EF Core migrations
/// history (<c>Data/Migrations</c>) keeps the whole schema. Pooled: keep no state in it beyond EF Core's own.
/// </summary>
internal sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    public DbSet<AccountRow> Accounts => Set<AccountRow>();

    public DbSet<ReportRow> Reports => Set<ReportRow>();

    public DbSet<QueueProbeRunRow> QueueProbeRuns => Set<QueueProbeRunRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.UseTableDefaults();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
        modelBuilder.AddInfrastructureTables();
    }
}
