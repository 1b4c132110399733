using System.Globalization;
using SecondServer.Web.Cluster;

namespace SecondServer.Web.Commands;

/// <summary>
/// <c>dotnet Web.dll record-deploy --run ID --release NAME --from NAME --mode MODE --outcome TEXT --by WHO --started ISO</c>:
/// run by <c>scripts/deploy</c> as it ends, whichever way, so the cluster page lists every deploy. Exit 0 when
/// recorded, 64 on bad arguments, 69 when Redis cannot take it (the deploy itself is not undone for that).
/// </summary>
internal static class RecordDeployCommand
{
    private const string Usage = "usage: record-deploy --run ID --release NAME [--from NAME] --mode build|release|rollback --outcome TEXT --by WHO --started ISO-8601";

    public static async Task<int> RunAsync(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        string? Value(string name) => values.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
        if (args.Length % 2 != 0 || values.Keys.Any(k => k is not ("--run" or "--release" or "--from" or "--mode" or "--outcome" or "--by" or "--started"))
            || Value("--run") is not { } run || Value("--release") is not { } release || Value("--mode") is not { } mode
            || Value("--outcome") is not { } outcome || Value("--by") is not { } by
            || !DateTimeOffset.TryParse(Value("--started"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started))
        {
            await Console.Error.WriteLineAsync($"record-deploy: {Usage}");
            return DoctorCommand.UsageError;
        }

        // Only the configuration and Redis are used; the host is built, not started.
        await using var app = WebApp.Build([]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var deploy = new DeployRecord(run, release, Value("--from"), mode, outcome, by, started.ToUniversalTime(), TimeProvider.System.GetUtcNow());
        try
        {
            await app.Services.GetRequiredService<DeployHistory>().RecordAsync(deploy, cancel.Token);
            Console.WriteLine($"record-deploy: {release} ({outcome}) recorded");
            return 0;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"record-deploy: Redis did not take the record: {ex.Message}");
            return MigrateCommand.Unavailable;
        }
    }
}
