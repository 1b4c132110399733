using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Data.Migrations;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;

namespace SecondServer.Bench;

/// <summary>
/// One worker process: the same queue consumers the Worker host runs (QueueWorker, JobRunner, RedisJobQueue), with
/// the no-op job and without HTTP, S3 or MySQL. MySQL is registered but never reached: a no-op job never fails, so
/// failed_jobs is never written, and migrations are off (the schema counts as applied).
/// </summary>
internal static class BenchWorker
{
    public const string ReadyKey = "bench:ready";
    public const string GoKey = "bench:go";

    public static async Task<int> RunAsync(Arguments args)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = args.Required("redis"),
            ["Redis:KeyPrefix"] = args.Required("prefix"),
            ["ConnectionStrings:appdb"] = "Server=127.0.0.1;Port=1;User ID=bench;Database=bench",
            ["Database:MigrateOnStartup"] = "false",
            ["Database:MaxPoolSize"] = "1",
            ["Queue:Queues:0"] = NoopJob.Queue,
            ["Queue:Concurrency"] = args.Text("concurrency", "8"),
            ["Queue:Prefetch"] = args.Text("prefetch", "1024"),
            ["Queue:BatchSize"] = args.Text("batch", "256"),
            ["Shutdown:Timeout"] = "00:00:05",
        });
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddDatabase(builder.Configuration);
        builder.AddSharedRedis();
        builder.Services.AddQueue(builder.Configuration);
        builder.Services.AddJob<NoopJob, NoopJob.Handler>(job => job.Queue = NoopJob.Queue);
        builder.Services.AddQueueWorker();
        // Migrations are off, so nothing would ever mark the schema applied: the consumers would wait forever.
        var schema = new MigrationState();
        schema.MarkApplied();
        builder.Services.AddSingleton(schema);
        using var host = builder.Build();

        // Every worker process starts consuming at the same moment, once all are connected and loaded.
        var database = host.Services.GetRequiredService<RedisConnection>().Database;
        await database.StringIncrementAsync(ReadyKey);
        while (!await database.KeyExistsAsync(GoKey))
        {
            await Task.Delay(5);
        }

        await host.RunAsync();
        return 0;
    }
}
