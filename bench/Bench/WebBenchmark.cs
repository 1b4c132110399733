using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using StackExchange.Redis;

namespace SecondServer.Bench;

/// <summary>
/// The web tier under wrk: four endpoints, each straight to one replica, through the cluster's balancer and through a
/// minimal pass-through HAProxy, the same number of runs each, interleaved so that all see the same machine. Besides
/// rates and latencies it reads the CPU time of every server process from /proc before and after each run: CPU per
/// request hardly moves with what else the machine is doing, rates do.
/// </summary>
internal static class WebBenchmark
{
    private const string Straight = "web-1 direct";
    private const string Balancer = "balancer";
    private const string Minimal = "minimal HAProxy";

    private static readonly string[] ServerProcesses = ["web-1", "web-2", "haproxy", "haproxy-minimal", "redis", "mariadb", "s3"];

    public static async Task<int> RunAsync(Arguments args)
    {
        var settings = new Settings(args);
        var processes = ProcessStats(args.Required("processes"));
        var work = Directory.CreateTempSubdirectory("secondserver-bench-");
        try
        {
            var endpoints = Endpoint.All(work.FullName, settings);
            var targets = new[]
            {
                new Target(Straight, settings.Straight, ["web-1", "redis", "mariadb", "s3"]),
                new Target(Balancer, settings.Balancer, ["haproxy", "web-1", "web-2", "redis", "mariadb", "s3"]),
                new Target(Minimal, settings.Minimal, ["haproxy-minimal", "web-1", "web-2", "redis", "mariadb", "s3"]),
            };

            var replicas = processes.Where(p => p.Name.StartsWith("web-", StringComparison.Ordinal)).ToList();
            var idle = replicas.ToDictionary(p => p.Name, p => p.ResidentMegabytes());
            Console.WriteLine("Report jobs end to end on the idle cluster ...");
            var reports = await ReportLatenciesAsync(settings);
            Console.WriteLine("Redis round trips of GET /api/me (MONITOR, 200 sequential requests to web-1) ...");
            var roundTrips = await RoundTrips.ProbeAsync(settings.Redis, "web-1", settings.Straight + "/api/me", settings.Headers, 200);

            using var sampling = new CancellationTokenSource();
            var peak = replicas.ToDictionary(p => p.Name, _ => 0.0);
            var sampler = SampleResidentMemoryAsync(replicas, peak, sampling.Token);

            foreach (var endpoint in endpoints)
            {
                foreach (var target in targets)
                {
                    Console.WriteLine($"warm-up: {endpoint.Name}, {target.Name}");
                    await Wrk.RunAsync(target.BaseUrl + endpoint.Path, TimeSpan.FromSeconds(2), settings.Connections, endpoint.Script, settings.Headers, CancellationToken.None);
                }
            }

            var results = new List<Measurement>();
            await using var redis = await ConnectionMultiplexer.ConnectAsync(AdminOptions(settings.Redis));
            for (var run = 1; run <= settings.Runs; run++)
            {
                foreach (var endpoint in endpoints)
                {
                    foreach (var target in targets)
                    {
                        var measurement = await MeasureAsync(endpoint, target, processes, redis, settings, script: endpoint.Script, connections: settings.Connections, halfRate: false);
                        Console.WriteLine($"run {run}: {measurement}");
                        results.Add(measurement);
                    }
                }
            }

            // Half the measured maximum through the balancer: wrk's per-connection delay paces each connection.
            for (var run = 1; run <= settings.Runs; run++)
            {
                foreach (var endpoint in endpoints)
                {
                    var maximum = Median(results.Where(r => r.Endpoint == endpoint.Name && r.Target == Balancer).Select(r => r.Result.PerSecond));
                    const int connections = 8;
                    var delayMs = Math.Max(1, (int)Math.Round(connections * 1000 / (maximum / 2)));
                    var paced = endpoint.WithDelay(work.FullName, delayMs);
                    var measurement = await MeasureAsync(endpoint, targets[1], processes, redis, settings, paced, connections, halfRate: true);
                    Console.WriteLine($"half rate, run {run}: {measurement}");
                    results.Add(measurement);
                }
            }

            await sampling.CancelAsync();
            await sampler;
            var report = Report(settings, endpoints, targets, results, reports, roundTrips, idle, peak);
            await File.WriteAllTextAsync(settings.Output, report.Markdown);
            await File.WriteAllTextAsync(settings.Chart, report.Chart);
            Console.WriteLine($"wrote {settings.Output} and {settings.Chart}");
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static List<MeasuredProcess> ProcessStats(string list)
    {
        var processes = MeasuredProcess.ParseList(list);
        var unknown = processes.Select(p => p.Name).Except(ServerProcesses).ToList();
        return unknown.Count == 0 ? processes : throw new ArgumentException($"Unknown processes: {string.Join(", ", unknown)}; expected {string.Join(", ", ServerProcesses)}.");
    }

    private static ConfigurationOptions AdminOptions(string redis)
    {
        var options = ConfigurationOptions.Parse(redis);
        options.AllowAdmin = true;
        return options;
    }

    private static async Task<Measurement> MeasureAsync(Endpoint endpoint, Target target, List<MeasuredProcess> processes, ConnectionMultiplexer redis, Settings settings,
        string? script, int connections, bool halfRate)
    {
        var involved = processes.Where(p => target.Processes.Contains(p.Name)).ToList();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var commandsBefore = await CommandCallsAsync(server);
        var before = involved.ToDictionary(p => p.Name, p => p.Cpu());
        var result = await Wrk.RunAsync(target.BaseUrl + endpoint.Path, settings.Duration, connections, script, settings.Headers, CancellationToken.None);
        var cpu = involved.ToDictionary(p => p.Name, p => (p.Cpu() - before[p.Name]).TotalMicroseconds / Math.Max(1, result.Requests));
        var commandsAfter = await CommandCallsAsync(server);
        var commands = commandsAfter.ToDictionary(c => c.Key, c => (c.Value - commandsBefore.GetValueOrDefault(c.Key)) / (double)Math.Max(1, result.Requests));
        if (result.Errors > 0)
        {
            throw new InvalidOperationException($"{endpoint.Name} through {target.Name}: {result.Errors} of {result.Requests} requests failed.");
        }

        return new Measurement(endpoint.Name, target.Name, halfRate, result, cpu, commands);
    }

    /// <summary>Calls so far of every Redis command (INFO commandstats), by command.</summary>
    private static async Task<Dictionary<string, long>> CommandCallsAsync(IServer server)
    {
        var stats = (await server.InfoAsync("commandstats")).SelectMany(g => g);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in stats)
        {
            // cmdstat_get:calls=12,usec=34,...
            var count = value.Split(',')[0].Split('=')[1];
            calls[key["cmdstat_".Length..]] = long.Parse(count, CultureInfo.InvariantCulture);
        }

        return calls;
    }

    private static async Task SampleResidentMemoryAsync(List<MeasuredProcess> replicas, Dictionary<string, double> peak, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var replica in replicas)
                {
                    peak[replica.Name] = Math.Max(peak[replica.Name], replica.ResidentMegabytes());
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The runs are over.
        }
    }

    /// <summary>Queues report jobs one at a time through the balancer and times each from the request to "done".</summary>
    private static async Task<List<double>> ReportLatenciesAsync(Settings settings)
    {
        using var http = new HttpClient { BaseAddress = new Uri(settings.Balancer) };
        foreach (var header in settings.Headers)
        {
            var (name, value) = (header[..header.IndexOf(':', StringComparison.Ordinal)], header[(header.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
            http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        var latencies = new List<double>();
        for (var i = 0; i < settings.Reports; i++)
        {
            var clock = Stopwatch.StartNew();
            using var accepted = await http.PostAsync("/api/reports", content: null);
            accepted.EnsureSuccessStatusCode();
            var id = (await accepted.Content.ReadFromJsonAsync<ReportStatus>())!.Id;
            while (true)
            {
                var status = (await http.GetFromJsonAsync<ReportStatus>($"/api/reports/{id}"))!.Status;
                if (status == "done")
                {
                    break;
                }

                if (status == "failed" || clock.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"Report {id} ended {status} after {clock.Elapsed}.");
                }

                await Task.Delay(2);
            }

            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        return latencies;
    }

    private static (string Markdown, string Chart) Report(Settings settings, IReadOnlyList<Endpoint> endpoints, Target[] targets, List<Measurement> results,
        List<double> reports, (double PerRequest, string Commands) roundTrips, Dictionary<string, double> idle, Dictionary<string, double> peak)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("## Web tier");
        md.AppendLine();
        md.AppendLine(c,
            $"wrk with 2 threads and {settings.Connections} keep-alive connections, {settings.Duration.TotalSeconds:0} s a run after a 2 s warm-up, signed in as one " +
            $"user; {settings.Runs} runs of every row, interleaved. Straight to one replica (web-1), through the cluster's balancer (HAProxy as `scripts/up` " +
            $"runs it, round robin to web-1 and web-2) and through a minimal pass-through HAProxy (one thread, `http-reuse always`, no logging, no checks, " +
            $"no rules) to the same two replicas. CPU is each server process's user + system time over the run (from /proc), divided by the requests: " +
            $"the path's total is what one request costs the machine. The medians, then every run's rate.");
        md.AppendLine();
        md.AppendLine("| endpoint | path | req/s (median) | every run | p50 | p99 | CPU µs/request: path total | replicas | HAProxy | Redis | MariaDB | S3 "
            + "| Redis commands/request, inside scripts too |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var bars = new List<ChartBar>();
        foreach (var endpoint in endpoints)
        {
            foreach (var target in targets)
            {
                var runs = results.Where(r => r.Endpoint == endpoint.Name && r.Target == target.Name && !r.HalfRate).ToList();
                var row = Row.Of(runs);
                md.AppendLine(c,
                    $"| {endpoint.Name} | {target.Name} | {row.PerSecond:N0} | {string.Join(", ", runs.Select(r => r.Result.PerSecond.ToString("N0", c)))} " +
                    $"| {row.P50:0.0} ms | {row.P99:0.0} ms | **{row.Total:0}** | {row.Replicas:0} | {Dash(row.Balancer)} " +
                    $"| {row.Redis:0.0} | {row.MariaDb:0.0} | {row.S3:0.0} | {row.RedisCommands:0.00} |");
                bars.Add(new ChartBar($"{endpoint.Name} · {target.Name}",
                [
                    new BarSegment("replicas", row.Replicas), new BarSegment("HAProxy", row.Balancer), new BarSegment("Redis", row.Redis),
                    new BarSegment("MariaDB", row.MariaDb), new BarSegment("S3 server", row.S3),
                ]));
            }

            bars.Add(new ChartBar(string.Empty, []));
        }

        md.AppendLine();
        md.AppendLine(c, $"![CPU per request by process](charts/web-cpu.svg)");
        md.AppendLine();

        md.AppendLine("Through the balancer at half its measured maximum rate (8 connections, each paced by wrk's `delay()`):");
        md.AppendLine();
        md.AppendLine("| endpoint | target rate | achieved req/s (median) | p50 | p99 (median) | p99, every run |");
        md.AppendLine("|---|---:|---:|---:|---:|---|");
        var halfRateP99 = new Dictionary<string, double>();
        foreach (var endpoint in endpoints)
        {
            var maximum = Median(results.Where(r => r.Endpoint == endpoint.Name && r.Target == Balancer && !r.HalfRate).Select(r => r.Result.PerSecond));
            var runs = results.Where(r => r.Endpoint == endpoint.Name && r.HalfRate).ToList();
            var row = Row.Of(runs);
            halfRateP99[endpoint.Name] = row.P99;
            md.AppendLine(c,
                $"| {endpoint.Name} | {maximum / 2:N0} | {row.PerSecond:N0} | {row.P50:0.0} ms | {row.P99:0.0} ms " +
                $"| {string.Join(", ", runs.Select(r => r.Result.P99Ms.ToString("0.0", c) + " ms"))} |");
        }

        md.AppendLine();
        var me = Row.Of(results.Where(r => r.Endpoint == Endpoint.Me && r.Target == Straight && !r.HalfRate).ToList());
        var live = Row.Of(results.Where(r => r.Endpoint == Endpoint.Live && r.Target == Straight && !r.HalfRate).ToList());
        var balancerRatios = endpoints.Select(e => (e.Name, Ratio: Row.Of(Runs(results, e.Name, Balancer)).Balancer / Row.Of(Runs(results, e.Name, Minimal)).Balancer)).ToList();
        var reportMedian = Median(reports);
        var idleMax = idle.Values.Max();
        var peakMax = peak.Values.Max();

        var checks = new List<(string Target, string Measured, bool Held)>
        {
            ("GET /api/me: ≤ 120 µs replica CPU per request", $"{me.Replicas:0} µs", me.Replicas <= 120),
            ("GET /api/me: ≥ 0.45× the /health/live rate on one replica, same run", $"{me.PerSecond / live.PerSecond:0.00}×", me.PerSecond / live.PerSecond >= 0.45),
            ("GET /api/me: at most one Redis round trip", $"{roundTrips.PerRequest:0.00} commands sent per request ({roundTrips.Commands}; MONITOR, 200 requests)", roundTrips.PerRequest < 1.05),
        };
        checks.AddRange(balancerRatios.Select(r => ($"{r.Name}: the balancer's HAProxy CPU within 15 % of the minimal HAProxy's", $"{r.Ratio:0.00}×", r.Ratio <= 1.15)));
        checks.AddRange(halfRateP99.Select(p => ($"{p.Key}: p99 < 20 ms through the balancer at half its maximum rate", $"{p.Value:0.0} ms", p.Value < 20)));
        checks.Add(($"a report job's end-to-end latency (enqueue → done) p50 < 50 ms, idle cluster, {reports.Count} jobs",
            $"{reportMedian:0} ms (p90 {Percentile(reports, 0.9):0} ms)", reportMedian < 50));
        checks.Add(("replica resident memory < 150 MB idle", string.Join(", ", idle.Select(i => $"{i.Key} {i.Value:0} MB")), idleMax < 150));
        checks.Add(("replica resident memory < 250 MB under the load above", string.Join(", ", peak.Select(i => $"{i.Key} {i.Value:0} MB (peak)")), peakMax < 250));
        md.AppendLine("| target | measured | |");
        md.AppendLine("|---|---|---|");
        foreach (var (target, measured, held) in checks)
        {
            md.AppendLine(c, $"| {target} | {measured} | {(held ? "held" : "**not held**")} |");
        }

        var chart = SvgChart.StackedBars("CPU per request by process (µs, median of runs)", "µs", ["replicas", "HAProxy", "Redis", "MariaDB", "S3 server"], bars);
        return (md.ToString(), chart);
    }

    private static List<Measurement> Runs(List<Measurement> results, string endpoint, string target) =>
        [.. results.Where(r => r.Endpoint == endpoint && r.Target == target && !r.HalfRate)];

    private static string Dash(double value) => value > 0 ? value.ToString("0", CultureInfo.InvariantCulture) : "–";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
    }

    private sealed record ReportStatus(Guid Id, string Status);

    private sealed record Target(string Name, string BaseUrl, string[] Processes);

    private sealed record Measurement(string Endpoint, string Target, bool HalfRate, WrkResult Result, Dictionary<string, double> Cpu, Dictionary<string, double> Commands)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Endpoint} via {Target}: {Result.PerSecond:N0} req/s, p50 {Result.P50Ms:0.0} ms, p99 {Result.P99Ms:0.0} ms, CPU µs/request {string.Join(", ", Cpu.Select(p => $"{p.Key} {p.Value:0}"))}");
    }

    /// <summary>The medians of one row's runs, figure by figure.</summary>
    private sealed record Row(double PerSecond, double P50, double P99, double Total, double Replicas, double Balancer, double Redis, double MariaDb, double S3, double RedisCommands)
    {
        public static Row Of(List<Measurement> runs) => new(
            Median(runs.Select(r => r.Result.PerSecond)),
            Median(runs.Select(r => r.Result.P50Ms)),
            Median(runs.Select(r => r.Result.P99Ms)),
            Median(runs.Select(r => r.Cpu.Values.Sum())),
            Median(runs.Select(r => r.Cpu.GetValueOrDefault("web-1") + r.Cpu.GetValueOrDefault("web-2"))),
            Median(runs.Select(r => r.Cpu.GetValueOrDefault("haproxy") + r.Cpu.GetValueOrDefault("haproxy-minimal"))),
            Median(runs.Select(r => r.Cpu.GetValueOrDefault("redis"))),
            Median(runs.Select(r => r.Cpu.GetValueOrDefault("mariadb"))),
            Median(runs.Select(r => r.Cpu.GetValueOrDefault("s3"))),
            Median(runs.Select(r => r.Commands.Values.Sum())));
    }

    /// <summary>What the command line gives the benchmark.</summary>
    private sealed class Settings(Arguments args)
    {
        public string Straight { get; } = args.Required("straight").TrimEnd('/');

        public string Balancer { get; } = args.Required("balancer").TrimEnd('/');

        public string Minimal { get; } = args.Required("minimal").TrimEnd('/');

        /// <summary>From <c>--redis</c> or, keeping the password off the command line, the BENCH_REDIS variable.</summary>
        public string Redis { get; } = args.Text("redis", Environment.GetEnvironmentVariable("BENCH_REDIS") ?? "") is { Length: > 0 } redis
            ? redis
            : throw new ArgumentException("--redis (or BENCH_REDIS) is required.");

        /// <summary>The signed-in user's cookies and antiforgery token, sent with every request.</summary>
        public IReadOnlyList<string> Headers { get; } = [$"Cookie: {args.Required("cookie")}", $"X-XSRF-TOKEN: {args.Required("xsrf")}"];

        public TimeSpan Duration { get; } = TimeSpan.FromSeconds(args.Number("seconds", 4));

        public int Runs { get; } = args.Number("runs", 3);

        public int Connections { get; } = args.Number("connections", 16);

        public int PictureBytes { get; } = args.Number("picture-bytes", 200 * 1024);

        public int Reports { get; } = args.Number("reports", 20);

        public string Output { get; } = args.Required("out");

        public string Chart { get; } = args.Required("chart");
    }

    /// <summary>An endpoint under test and the wrk script that sends its requests.</summary>
    private sealed record Endpoint(string Name, string Path, string? Script)
    {
        public const string Live = "GET /health/live";
        public const string Me = "GET /api/me";

        public static List<Endpoint> All(string folder, Settings settings)
        {
            var picture = System.IO.Path.Combine(folder, "picture.body");
            const string boundary = "secondserver-bench";
            using (var body = File.Create(picture))
            {
                body.Write(Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.png\"\r\nContent-Type: image/png\r\n\r\n"));
                var image = new byte[settings.PictureBytes];
                Random.Shared.NextBytes(image);
                // Only the signature decides the type (ContentSniffer).
                byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
                png.CopyTo(image, 0);
                body.Write(image);
                body.Write(Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"));
            }

            return
            [
                new(Live, "/health/live", null),
                new(Me, "/api/me", null),
                new("PUT /api/profile", "/api/profile", Write(folder, "profile.lua", """
                    wrk.method = "PUT"
                    wrk.headers["Content-Type"] = "application/json"
                    wrk.body = '{"displayName":"Bench"}'
                    """)),
                new($"PUT /api/profile/picture ({settings.PictureBytes / 1024} KB)", "/api/profile/picture", Write(folder, "picture.lua", $$"""
                    local file = io.open("{{picture}}", "rb")
                    wrk.method = "PUT"
                    wrk.headers["Content-Type"] = "multipart/form-data; boundary={{boundary}}"
                    wrk.body = file:read("*a")
                    file:close()
                    """)),
            ];
        }

        /// <summary>The same requests, each connection waiting <paramref name="delayMs"/> between them.</summary>
        public string WithDelay(string folder, int delayMs)
        {
            var lines = (Script is null ? string.Empty : File.ReadAllText(Script)) + $"\nfunction delay() return {delayMs} end\n";
            return Write(folder, $"paced-{Guid.NewGuid():N}.lua", lines);
        }

        private static string Write(string folder, string name, string lua)
        {
            var path = System.IO.Path.Combine(folder, name);
            File.WriteAllText(path, lua);
            return path;
        }
    }
}
