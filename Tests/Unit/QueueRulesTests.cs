using Microsoft.Extensions.Configuration;
using SecondServer.Infrastructure.Queue;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Unit;

public sealed class QueueRulesTests
{
    [Theory]
    [InlineData(1, 500, 1000)]
    [InlineData(2, 1000, 2000)]
    [InlineData(5, 8000, 16000)]
    [InlineData(30, 30_000, 60_000)]
    public void Retries_back_off_exponentially_with_jitter_under_a_cap(int attempt, int minimumMs, int maximumMs)
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 200)
            .Select(_ => RetryBackoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), random).TotalMilliseconds)
            .ToList();

        Assert.All(delays, d => Assert.InRange(d, minimumMs, maximumMs));
        Assert.True(delays.Distinct().Count() > 150, "the jitter spreads retries that failed together");
    }

    [Theory]
    [InlineData("Queue:Concurrency", "0", "Queue:Concurrency must be between 1 and 1024")]
    [InlineData("Queue:BatchSize", "5000", "Queue:BatchSize must be between 1 and 1000")]
    [InlineData("Queue:VisibilityTimeout", "00:00:00.100", "Queue:VisibilityTimeout must be between")]
    [InlineData("Queue:RetryDelay", "01:00:00", "Queue:RetryDelay must be between 0 and Queue:MaxRetryDelay")]
    [InlineData("Queue:Queues:0", "bad queue!", "Queue:Queues holds 'bad queue!'")]
    public void Invalid_queue_settings_name_the_key(string key, string value, string expected)
    {
        var options = new QueueOptions();
        new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build().GetSection(QueueOptions.Section).Bind(options);

        var result = new QueueOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new QueueOptionsValidator().Validate(null, new QueueOptions()).Succeeded);
    }

    [Fact]
    public async Task A_Worker_with_invalid_queue_settings_fails_fast_with_one_line_naming_the_key()
    {
        var ct = TestContext.Current.CancellationToken;
        // Well-formed connection strings where nothing listens: a unit test needs no server, and the line must name
        // the queue setting alone.
        var process = await ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(TestEnvironment.RepositoryRoot, "Worker", "bin", "Release", "net10.0", "Worker.dll"), "--urls", "http://127.0.0.1:0"],
            TimeSpan.FromSeconds(60),
            start =>
            {
                start.Environment["ConnectionStrings__redis"] = "127.0.0.1:1,password=unused";
                start.Environment["ConnectionStrings__appdb"] = "Server=127.0.0.1;Port=1;User ID=unused;Password=unused;Database=unused";
                start.Environment["ConnectionStrings__uploads"] = "Endpoint=http://127.0.0.1:1;AccessKey=unused;SecretKey=unused";
                start.Environment["Queue__Concurrency"] = "0";
                start.Environment["Logging__LogLevel__Default"] = "None";
            },
            ct);

        Assert.Equal(78, process.ExitCode);
        var line = Assert.Single(process.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Queue:Concurrency must be between 1 and 1024 (was 0)", line, StringComparison.Ordinal);
    }
}
