using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dapper;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// The cluster's shared Redis and MariaDB, stopped and started through the cluster's own supervisord, and probed
/// straight (no pool, no retry) to timestamp the moment they answer again.
/// </summary>
internal sealed class SharedDependencies(ClusterFixture cluster)
{
    public const string Redis = "servers:redis";
    public const string MariaDb = "servers:mariadb";

    /// <summary>The longest a request may take to fail on an outage.</summary>
    public static readonly TimeSpan SlowestFailure = TimeSpan.FromSeconds(20);

    private string SupervisorConf => Path.Combine(cluster.DataDirectory, "supervisor", "supervisord.conf");

    public async Task StopAsync(string program)
    {
        var (exitCode, output) = await ClusterFixture.RunAsync("supervisorctl", "-c", SupervisorConf, "stop", program);
        Assert.True(exitCode == 0, $"supervisorctl stop {program}: {output}");
    }

    /// <summary>Starts the program unless it runs already: safe in a finally, whatever the test got to.</summary>
    public async Task EnsureStartedAsync(string program)
    {
        if (await cluster.PidOfAsync(program) == 0)
        {
            await ClusterFixture.RunAsync("supervisorctl", "-c", SupervisorConf, "start", program);
        }
    }

    /// <summary>
    /// Stops <paramref name="program"/> for ten seconds once HAProxy has seen no replica ready, checks that it no longer
    /// answers, and starts it again; the <see cref="Stopwatch"/> timestamp of its first answer. The outage's length is
    /// the scenario itself (longer than the app's own retries can bridge), not a guess at how long something takes.
    /// The program is started again whatever the test got to.
    /// </summary>
    public async Task<long> OutageAsync(string program, Func<Task<bool>> answers, TimeSpan answerWithin, string what)
    {
        try
        {
            await StopAsync(program);
            var stopped = Stopwatch.GetTimestamp();
            await WaitUntilNoReplicaReadyAsync();
            var outage = TimeSpan.FromSeconds(10) - Stopwatch.GetElapsedTime(stopped);
            if (outage > TimeSpan.Zero)
            {
                await Task.Delay(outage, TestContext.Current.CancellationToken);
            }

            Assert.False(await answers(), $"{what} still answers after supervisorctl stop");
            var answering = FirstAnswerAsync(answers, answerWithin, what);
            await EnsureStartedAsync(program);
            return await answering;
        }
        finally
        {
            await EnsureStartedAsync(program);
        }
    }

    /// <summary>A fresh connection authenticates and gets PONG (not LOADING, which Redis answers while it reads its AOF).</summary>
    public async Task<bool> RedisAnswersPingAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", cluster.Port("REDIS_PORT"), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {cluster.Secrets["REDIS_PASSWORD"]}\r\nPING\r\n"), timeout.Token);
            var received = new StringBuilder();
            var buffer = new byte[256];
            while (!received.ToString().Contains("\r\n+PONG\r\n", StringComparison.Ordinal) && !received.ToString().Contains('-', StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return received.ToString() == "+OK\r\n+PONG\r\n";
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A fresh, unpooled connection as the app's user runs a query.</summary>
    public async Task<bool> MySqlAnswersAsync()
    {
        var settings = new MySqlConnector.MySqlConnectionStringBuilder
        {
            Server = "127.0.0.1",
            Port = (uint)cluster.Port("MYSQL_PORT"),
            UserID = "app",
            Password = cluster.Secrets["MYSQL_APP_PASSWORD"],
            Database = "appdb",
            SslMode = MySqlConnector.MySqlSslMode.None,
            Pooling = false,
            ConnectionTimeout = 1,
        };
        try
        {
            await using var connection = new MySqlConnector.MySqlConnection(settings.ConnectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            return await connection.ExecuteScalarAsync<int>("SELECT 1") == 1;
        }
        catch (MySqlConnector.MySqlException)
        {
            return false;
        }
    }

    /// <summary>Polls <paramref name="answers"/> every 20 ms; the <see cref="Stopwatch"/> timestamp of its first true.</summary>
    public static async Task<long> FirstAnswerAsync(Func<Task<bool>> answers, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await answers())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{what} did not answer within {timeout.TotalSeconds:0}s");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Until HAProxy sees neither replica ready (every one of them fails /health/ready on the outage), so the
    /// requests that follow go through the fail-open backend.
    /// </summary>
    public Task WaitUntilNoReplicaReadyAsync() => Eventually.WaitAsync(
        async () => (await cluster.BackendStatusAsync("web-1"), await cluster.BackendStatusAsync("web-2")),
        s => s.Item1.StartsWith("DOWN", StringComparison.Ordinal) && s.Item2.StartsWith("DOWN", StringComparison.Ordinal),
        TimeSpan.FromSeconds(20),
        "HAProxy to take both replicas out of be_web");

    /// <summary>Queues reports as the administrator; their ids, each answered 202.</summary>
    public static async Task<List<string>> QueueReportsAsync(Browser admin, Uri balancer, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var queued = await admin.PostAsync(balancer, "/api/reports");
            Assert.Equal(System.Net.HttpStatusCode.Accepted, queued.StatusCode);
            ids.Add((await queued.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!);
        }

        return ids;
    }

    /// <summary>The reports' statuses, read from MySQL, once none is queued or running any more.</summary>
    public async Task<Dictionary<string, int>> FinishedReportsAsync(IReadOnlyCollection<string> ids) => await Eventually.WaitAsync(
        async () =>
        {
            await using var connection = await cluster.OpenDatabaseAsync();
            var statuses = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT status FROM reports WHERE id IN @ids", new { ids }, cancellationToken: TestContext.Current.CancellationToken))).ToList();
            return statuses.Count < ids.Count
                ? new Dictionary<string, int> { ["missing"] = ids.Count - statuses.Count }
                : statuses.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        },
        byStatus => !byStatus.Keys.Any(s => s is "queued" or "running" or "missing"),
        TimeSpan.FromMinutes(3),
        "every report queued before the outage to finish");

    /// <summary>Milliseconds between two <see cref="Stopwatch"/> timestamps.</summary>
    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>
    /// Every failure is the app's own 503 problem+json with a Retry-After, never a 500, a balancer error page or a
    /// timeout, and came within <see cref="SlowestFailure"/>: a request waits for a lost connection at most for its
    /// command timeout (5 s) or the database's retries, twice when the balancer retries a read on the other replica,
    /// well within the clients' 30 s.
    /// </summary>
    public static void AssertAllAreRetryable503s(IEnumerable<LoadFailure> failures)
    {
        Assert.All(failures, f =>
        {
            Assert.True(Milliseconds(f.StartedAt, f.EndedAt) <= SlowestFailure.TotalMilliseconds, $"{f} took {Milliseconds(f.StartedAt, f.EndedAt):0} ms");
            Assert.True(f.Status == 503, $"{f} was not a 503");
            Assert.True(f.ContentType == "application/problem+json", $"{f} answered {f.ContentType}, not problem+json");
            Assert.False(string.IsNullOrEmpty(f.RetryAfter), $"{f} has no Retry-After");
        });
    }

    /// <summary>What failed, grouped, and how long the slowest failure took.</summary>
    public static string Describe(IEnumerable<LoadFailure> failures) =>
        string.Join(", ", failures.GroupBy(f => $"{f.Request}: {f.Reason}").Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()}x {g.Key}")))
        + string.Create(CultureInfo.InvariantCulture, $"; slowest failure {failures.Select(f => Milliseconds(f.StartedAt, f.EndedAt)).DefaultIfEmpty().Max():0} ms");
}
