using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SecondServer.Infrastructure.Configuration;
using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Infrastructure.Data;

internal static class DatabaseRegistration
{
    /// <summary>The database settings and the plain connections the queue's and scheduler's Dapper stores use.</summary>
    public static IServiceCollection AddDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(ConnectionStringKeys.Database))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        services.AddSingleton<IDbConnectionFactory, MySqlConnectionFactory>();
        return services;
    }

    /// <summary>
    /// The application's EF Core context over <c>ConnectionStrings:appdb</c>, registered as
    /// <c>Aspire.Pomelo.EntityFrameworkCore.MySql</c>'s <c>AddMySqlDbContext</c> would (that package is not served, so
    /// this is its equivalent, in one place): pooled contexts, retries on transient errors, a health check named
    /// <c>mysql</c> on the same driver pool, EF Core's traces and metrics. Its migrations, applied once across the
    /// cluster at start-up, come with it, and so does the record that lets a database made by the last SQL-file
    /// release be baselined.
    /// </summary>
    public static IServiceCollection AddAppDatabase<TContext>(this IServiceCollection services, SchemaBaseline baseline)
        where TContext : DbContext
    {
        services.AddSingleton<ServerVersionSource>();
        services.AddPooledDbContextFactory<TContext>((provider, builder) =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            // The same connection string as the Dapper stores', so both share one driver pool of MaxPoolSize.
            builder.UseMySql(options.BuildConnectionString(), provider.GetRequiredService<ServerVersionSource>().Get(), mysql => mysql
                .EnableRetryOnFailure(options.MaxRetryCount, options.MaxRetryDelay, errorNumbersToAdd: null)
                .CommandTimeout(options.CommandTimeoutSeconds));
        });
        services.AddSingleton(baseline);
        services.AddSingleton<ISchemaMigrator, SchemaMigrator<TContext>>();
        services.AddSingleton<MigrationState>();
        services.AddHostedService<MigrationRunner>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("mysql", timeout: TimeSpan.FromSeconds(3))
            .AddCheck<MigrationHealthCheck>("migrations");
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddEntityFrameworkCoreInstrumentation());
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter("Microsoft.EntityFrameworkCore"));
        return services;
    }
}
