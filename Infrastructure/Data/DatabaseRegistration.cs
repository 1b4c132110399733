using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Configuration;
using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Infrastructure.Data;

internal static class DatabaseRegistration
{
    public static IServiceCollection AddDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(ConnectionStringKeys.Database))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        services.AddSingleton<IDbConnectionFactory, MySqlConnectionFactory>();
        services.AddSingleton(sp => MigrationCatalog.From(sp.GetServices<MigrationSource>()));
        services.AddSingleton<Migrator>();
        services.AddSingleton<MigrationState>();
        services.AddHostedService<MigrationRunner>();
        services.AddHealthChecks()
            .AddCheck<MySqlHealthCheck>("mysql", timeout: TimeSpan.FromSeconds(3))
            .AddCheck<MigrationHealthCheck>("migrations");
        return services;
    }

    /// <summary>Adds the <c>Migrations/*.sql</c> files embedded in <paramref name="assembly"/> to the catalog.</summary>
    public static IServiceCollection AddMigrations(this IServiceCollection services, Assembly assembly) =>
        services.AddSingleton(new MigrationSource(assembly));
}
