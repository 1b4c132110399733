using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Bench;

/// <summary>
/// No-op jobs per second through the real queue, with one and with two worker processes, beside what
/// redis-benchmark gets from the same Redis for raw list pushes and pops. Each scenario is run three times; the
/// table shows the median and every run.
/// </summary>
internal static partial class QueueBenchmark
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var redis = args.Required("redis");
        var jobs = args.Number("jobs", 200_000);
        var output = args.Text("out", "bench/results.md");
        var worker = new WorkerSettings(args.Number("concurrency", 8), args.Number("prefetch", 1024), args.Number("batch", 256));
        var runs = args.Number("runs", 3);

        // Other work on the machine lowers every figure; the load average is written down beside them.
        var loadAverage = File.Exists("/proc/loadavg") ? string.Join(" ", (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ').Take(3)) : "unknown";
        Console.WriteLine("redis-benchmark: LPUSH/LPOP, 50 clients, without and with pipelining ...");
        var raw = new[] { await RedisBenchmarkAsync(args, redis, pipeline: 1), await RedisBenchmarkAsync(args, redis, pipeline: 16) };
        var scenarios = new List<Scenario>();
        foreach (var processes in new[] { 1, 2 })
        {
            var measurements = new List<Measurement>();
            for (var run = 1; run <= runs; run++)
            {
                var measurement = await MeasureAsync(redis, jobs, processes, worker);
                Console.WriteLine($"{processes} worker process(es), run {run}: {measurement}");
                measurements.Add(measurement);
            }

            scenarios.Add(new Scenario(processes, measurements));
        }

        await File.WriteAllTextAsync(output, await ReportAsync(redis, jobs, worker, raw, scenarios, loadAverage));
        Console.WriteLine($"wrote {output}");
        if (args.Text("chart", "") is { Length: > 0 } chart)
        {
            await File.WriteAllTextAsync(chart, Chart(scenarios, raw));
            Console.WriteLine($"wrote {chart}");
        }
        return 0;
    }

    private static async Task<Measurement> MeasureAsync(string redis, int jobs, int processes, WorkerSettings worker)
    {
        var prefix = $"bench:{Guid.NewGuid():N}:";
        using var host = Services(redis, prefix);
        var services = host.Services;
        var dispatcher = services.GetRequiredService<JobDispatcher>();
        var queue = services.GetRequiredService<RedisJobQueue>();
        var database = services.GetRequiredService<RedisConnection>().Database;

        var enqueue = Stopwatch.StartNew();
        for (var start = 0; start < jobs; start += 2000)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(2000, jobs - start)).Select(n => dispatcher.DispatchAsync(new NoopJob(n), null, CancellationToken.None)));
        }

        var enqueuePerSecond = jobs / enqueue.Elapsed.TotalSeconds;
        var children = Enumerable.Range(0, processes).Select(_ => StartWorker(redis, prefix, worker)).ToList();
        try
        {
            while ((long)await database.StringGetAsync(BenchWorker.ReadyKey) < processes)
            {
                await Task.Delay(10);
            }

            var redisCpu = await RedisCpuAsync(redis);
            await database.StringSetAsync(BenchWorker.GoKey, 1);
            var clock = Stopwatch.StartNew();
            TimeSpan? tenth = null;
            while (true)
            {
                var counts = await queue.CountAsync(NoopJob.Queue, CancellationToken.None);
                var left = counts.Pending + counts.Reserved + counts.Delayed;
                if (tenth is null && left <= jobs * 0.9)
                {
                    tenth = clock.Elapsed;
                }

                if (left == 0)
                {
                    break;
                }

                if (children.Any(c => c.HasExited))
                {
                    throw new InvalidOperationException("A worker process exited during the run.");
                }

                await Task.Delay(20);
            }

            var total = clock.Elapsed;
            var workerCpu = children.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.TotalProcessorTime);
            redisCpu = await RedisCpuAsync(redis) - redisCpu;
            return new Measurement(enqueuePerSecond, jobs / total.TotalSeconds, jobs * 0.9 / (total - tenth!.Value).TotalSeconds,
                workerCpu.TotalMicroseconds / jobs, redisCpu.TotalMicroseconds / jobs);
        }
        finally
        {
            foreach (var child in children)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
                child.Dispose();
            }
        }
    }

    private static IHost Services(string redis, string prefix)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["Redis:KeyPrefix"] = prefix,
        });
        builder.Services.AddLogging();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddSharedRedis();
        builder.Services.AddQueue(builder.Configuration);
        builder.Services.AddJob<NoopJob, NoopJob.Handler>(job => job.Queue = NoopJob.Queue);
        return builder.Build();
    }

    private static Process StartWorker(string redis, string prefix, WorkerSettings worker)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            ArgumentList =
            {
                typeof(QueueBenchmark).Assembly.Location, "worker", "--redis", redis, "--prefix", prefix,
                "--concurrency", worker.Concurrency.ToString(CultureInfo.InvariantCulture),
                "--prefetch", worker.Prefetch.ToString(CultureInfo.InvariantCulture),
                "--batch", worker.BatchSize.ToString(CultureInfo.InvariantCulture),
            },
            UseShellExecute = false,
        };
        return Process.Start(start)!;
    }

    private static async Task<RawResult> RedisBenchmarkAsync(Arguments args, string redis, int pipeline)
    {
        var options = ConfigurationOptions.Parse(redis);
        var (host, port) = RedisAddress.Of(options);
        var start = new ProcessStartInfo(args.Text("redis-benchmark", "redis-benchmark"))
        {
            ArgumentList =
            {
                "-h", host, "-p", port.ToString(CultureInfo.InvariantCulture),
                "-t", "lpush,lpop", "-n", "1000000", "-c", "50", "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-q",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!string.IsNullOrEmpty(options.Password))
        {
            start.ArgumentList.Add("-a");
            start.ArgumentList.Add(options.Password);
        }

        using var process = Process.Start(start)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // -q prints each test's last progress line and its summary, separated by carriage returns.
        var rates = RequestsPerSecond().Matches(text).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        if (!rates.TryGetValue("LPUSH", out var push) || !rates.TryGetValue("LPOP", out var pop))
        {
            throw new InvalidOperationException($"redis-benchmark printed no LPUSH/LPOP rates:\n{text}");
        }

        return new RawResult(pipeline, push, pop);
    }

    /// <summary>CPU time the Redis server has used so far (INFO cpu).</summary>
    private static async Task<TimeSpan> RedisCpuAsync(string redis)
    {
        var info = await InfoAsync(redis, "cpu");
        return TimeSpan.FromSeconds(double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture));
    }

    private static async Task<Dictionary<string, string>> InfoAsync(string redis, string section)
    {
        var admin = ConfigurationOptions.Parse(redis);
        admin.AllowAdmin = true;
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(admin);
        var info = (await multiplexer.GetServer(multiplexer.GetEndPoints()[0]).InfoAsync(section)).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        await multiplexer.CloseAsync();
        return info;
    }

    private static async Task<string> ReportAsync(string redis, int jobs, WorkerSettings worker, RawResult[] raw, List<Scenario> scenarios, string loadAverage)
    {
        var info = await InfoAsync(redis, "server");
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var one = scenarios[0].Median;
        var two = scenarios[1].Median;
        var pops = raw[0].Pop;

        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine("## Queue");
        md.AppendLine();
        md.AppendLine(c,
            $"Written by `scripts/bench` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. " +
            $"Machine: {Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), .NET {Environment.Version}, " +
            $"Redis {info.GetValueOrDefault("redis_version", "?")} (AOF every second, as in the cluster), all on one machine over loopback.");
        md.AppendLine();
        md.AppendLine(c,
            $"Each run enqueues {jobs:N0} no-op jobs (`bench:noop`, queue `bench`), then starts the worker processes, which begin " +
            $"together and consume until the queue is empty (every job reserved with a visibility deadline, run, acknowledged; " +
            $"heartbeats on). A worker process runs the Worker host's queue consumers (QueueWorker, JobRunner, RedisJobQueue) " +
            $"without HTTP, S3 or MySQL; settings: Concurrency {worker.Concurrency}, Prefetch {worker.Prefetch}, " +
            $"BatchSize {worker.BatchSize}, VisibilityTimeout 30 s. \"Steady\" counts from the moment 10 % were done (after start-up " +
            $"and JIT) to the end; \"overall\" from the start signal. Each scenario ran {scenarios[0].Runs.Count} times: the median, " +
            $"then every run.");
        md.AppendLine();
        md.AppendLine("| scenario | steady jobs/s (median) | overall jobs/s | steady, every run | CPU per job: workers / Redis | enqueue jobs/s |");
        md.AppendLine("|---|---:|---:|---|---:|---:|");
        foreach (var scenario in scenarios)
        {
            var m = scenario.Median;
            var everyRun = string.Join(", ", scenario.Runs.Select(r => r.Steady.ToString("N0", c)));
            md.AppendLine(c,
                $"| {scenario.Processes} worker process{(scenario.Processes == 1 ? "" : "es")} | {m.Steady:N0} | {m.Overall:N0} | {everyRun} " +
                $"| {m.WorkerCpuPerJob:0.0} µs / {m.RedisCpuPerJob:0.0} µs | {m.Enqueue:N0} |");
        }

        md.AppendLine();
        md.AppendLine(c,
            $"CPU per job is the worker processes' whole CPU time (start-up and JIT included) and the Redis server's (INFO cpu) " +
            $"over the consuming phase, divided by the jobs: it depends less on what else the machine is doing than the rates do. " +
            $"Load average when the benchmark started: {loadAverage}.");

        md.AppendLine();
        md.AppendLine("Raw Redis list operations on the same server (`redis-benchmark -t lpush,lpop -n 1000000 -c 50`):");
        md.AppendLine();
        md.AppendLine("| pipelining | LPUSH ops/s | LPOP ops/s |");
        md.AppendLine("|---|---:|---:|");
        foreach (var r in raw)
        {
            md.AppendLine(c, $"| -P {r.Pipeline} | {r.Push:N0} | {r.Pop:N0} |");
        }

        md.AppendLine();
        md.AppendLine("Ratios (steady medians):");
        md.AppendLine();
        md.AppendLine(c, $"- 2 worker processes / 1: **{two.Steady / one.Steady:0.00}×**");
        md.AppendLine(c, $"- 1 worker process / raw LPOP without pipelining: {one.Steady / pops:0.00}; with -P 16: {one.Steady / raw[1].Pop:0.00}");
        md.AppendLine(c, $"- 2 worker processes / raw LPOP without pipelining: {two.Steady / pops:0.00}; with -P 16: {two.Steady / raw[1].Pop:0.00}");
        md.AppendLine();
        md.AppendLine(
            "A job costs more than one list operation: it was pushed by its own Lua call (HSETNX, SADD, RPUSH); one Lua call " +
            "reserves a whole batch (LPOP, two HMGETs, HSET, ZADD) and another acknowledges one (ZMSCORE, ZREM, two HDELs). Redis, " +
            "the worker processes and this program share the machine's cores: where there are fewer free cores than they need, a " +
            "second worker process competes for the same cores instead of adding capacity (compare the CPU per job), and the load " +
            "average above says how much else was running.");
        return md.ToString();
    }

    private static string Chart(List<Scenario> scenarios, RawResult[] raw)
    {
        var bars = scenarios.Select(s => new ChartBar($"{s.Processes} worker process{(s.Processes == 1 ? "" : "es")}", [new BarSegment("no-op jobs/s (steady, median)", s.Median.Steady)])).ToList();
        bars.Add(new ChartBar("raw LPOP, no pipelining", [new BarSegment("redis-benchmark ops/s", raw[0].Pop)]));
        return SvgChart.StackedBars("Queue: no-op jobs per second by worker processes", "/s", ["no-op jobs/s (steady, median)", "redis-benchmark ops/s"], bars);
    }

    [GeneratedRegex(@"(LPUSH|LPOP): ([0-9.]+) requests per second")]
    private static partial Regex RequestsPerSecond();

    private sealed record WorkerSettings(int Concurrency, int Prefetch, int BatchSize);

    private sealed record RawResult(int Pipeline, double Push, double Pop);

    private sealed record Measurement(double Enqueue, double Overall, double Steady, double WorkerCpuPerJob, double RedisCpuPerJob)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"steady {Steady:N0} jobs/s, overall {Overall:N0} jobs/s, enqueue {Enqueue:N0} jobs/s, CPU per job: workers {WorkerCpuPerJob:0.0} µs, Redis {RedisCpuPerJob:0.0} µs");
    }

    private sealed record Scenario(int Processes, List<Measurement> Runs)
    {
        /// <summary>Each figure's own median.</summary>
        public Measurement Median => new(MedianOf(r => r.Enqueue), MedianOf(r => r.Overall), MedianOf(r => r.Steady), MedianOf(r => r.WorkerCpuPerJob), MedianOf(r => r.RedisCpuPerJob));

        private double MedianOf(Func<Measurement, double> figure) => Runs.Select(figure).Order().ElementAt(Runs.Count / 2);
    }
}
