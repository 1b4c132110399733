using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Web.Commands;

/// <summary>
/// <c>dotnet Web.dll migrate</c>: applies pending migrations and exits, so a deploy migrates once, before any
/// replica runs the new release (the replicas then find nothing pending). Exit 0 when the schema is up to date.
/// </summary>
internal static class MigrateCommand
{
    /// <summary>Exit code when the database cannot be reached (sysexits' EX_UNAVAILABLE).</summary>
    public const int Unavailable = 69;

    public static async Task<int> RunAsync(string[] args)
    {
        await using var app = WebApp.Build(args);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            var applied = await app.Services.GetRequiredService<ISchemaMigrator>().MigrateAsync(cancel.Token);
            Console.WriteLine(applied.Count == 0 ? "migrate: the schema is up to date" : $"migrate: applied {string.Join(", ", applied)}");
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"migrate: invalid configuration: {string.Join(" ", ex.Failures)}");
            return ServiceRunner.ConfigurationError;
        }
        catch (MigrationFailedException ex)
        {
            await Console.Error.WriteLineAsync($"migrate: {ex.Message}");
            return MigrationRunner.FailedExitCode;
        }
        catch (Exception ex) when (app.Services.GetRequiredService<IDbConnectionFactory>().IsConnectionFailure(ex))
        {
            await Console.Error.WriteLineAsync($"migrate: MySQL is unreachable: {ex.Message}");
            return Unavailable;
        }
    }
}
