using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecondServer.Application.Data;
using SecondServer.Application.Data.Migrations;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Tests.Support;

/// <summary>
/// The application's database registration alone (no Redis, no S3), as each process makes it: its own context pool,
/// its own migrator. Several of these on one database stand for several processes.
/// </summary>
internal sealed class AppSchema : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public AppSchema(string connectionString, string instance = "test")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("ConnectionStrings:appdb", connectionString),
            new("App:InstanceId", instance),
        ]).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddLogging(l => l.AddProvider(new TestOutputLoggerProvider()));
        services.AddDatabase(configuration).AddAppDatabase<AppDbContext>(SqlFileRelease.Baseline);
        _services = services.BuildServiceProvider();
    }

    public IServiceProvider Services => _services;

    public IDbContextFactory<AppDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<AppDbContext>>();

    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken) =>
        _services.GetRequiredService<ISchemaMigrator>().MigrateAsync(cancellationToken);

    /// <summary>Migrates <paramref name="connectionString"/>'s database as a process of the current release would.</summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var schema = new AppSchema(connectionString);
        await schema.MigrateAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
