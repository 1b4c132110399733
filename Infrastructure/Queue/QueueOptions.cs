using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Queue;

/// <summary>The job queue and its consumers (section <c>Queue</c>).</summary>
internal sealed partial class QueueOptions
{
    public const string Section = "Queue";
    public const string DefaultQueue = "default";

    /// <summary>Jobs one Worker process runs at the same time.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>Reserved jobs a process may hold beyond those running, so a consumer never waits for a round trip.</summary>
    public int Prefetch { get; set; } = 16;

    /// <summary>Most jobs one reservation (one Redis round trip) takes.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Queues this Worker consumes, highest priority first. Empty: every queue a registered job type uses.</summary>
    public IList<string> Queues { get; } = [];

    /// <summary>
    /// How long a reservation lasts without news from its worker. A running job's worker renews it every third of
    /// this, so it bounds how soon a crashed worker's jobs run elsewhere, not how long a job may run.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between two looks at an empty queue (the wait grows from a few milliseconds to this).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public int MaxAttempts { get; set; } = 5;

    /// <summary>Base of the exponential back-off: attempt n waits about RetryDelay × 2^(n-1), with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long one attempt may run before it is cancelled and counted as failed.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long jobs in hand may finish after SIGTERM before they are cancelled and released back to the queue.
    /// Bound from <c>Shutdown:Timeout</c>, the same budget the host gives every part of its shutdown.
    /// </summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    internal static partial Regex QueueName();
}

internal sealed class QueueOptionsValidator : IValidateOptions<QueueOptions>
{
    public ValidateOptionsResult Validate(string? name, QueueOptions options)
    {
        const string S = QueueOptions.Section;
        var failures = new List<string>();
        Check(options.Concurrency is >= 1 and <= 1024, $"{S}:Concurrency must be between 1 and 1024 (was {options.Concurrency}).");
        Check(options.Prefetch is >= 0 and <= 10_000, $"{S}:Prefetch must be between 0 and 10000 (was {options.Prefetch}).");
        Check(options.BatchSize is >= 1 and <= 1000, $"{S}:BatchSize must be between 1 and 1000 (was {options.BatchSize}).");
        Check(options.MaxAttempts is >= 1 and <= 1000, $"{S}:MaxAttempts must be between 1 and 1000 (was {options.MaxAttempts}).");
        Check(options.VisibilityTimeout >= TimeSpan.FromMilliseconds(300) && options.VisibilityTimeout <= TimeSpan.FromHours(12),
            $"{S}:VisibilityTimeout must be between 00:00:00.300 and 12:00:00 (was {options.VisibilityTimeout}).");
        Check(options.PollInterval >= TimeSpan.FromMilliseconds(1) && options.PollInterval <= TimeSpan.FromMinutes(1),
            $"{S}:PollInterval must be between 00:00:00.001 and 00:01:00 (was {options.PollInterval}).");
        Check(options.RetryDelay >= TimeSpan.Zero && options.RetryDelay <= options.MaxRetryDelay,
            $"{S}:RetryDelay must be between 0 and {S}:MaxRetryDelay (was {options.RetryDelay}, {options.MaxRetryDelay}).");
        Check(options.MaxRetryDelay <= TimeSpan.FromDays(7), $"{S}:MaxRetryDelay must be at most 7 days (was {options.MaxRetryDelay}).");
        Check(options.JobTimeout > TimeSpan.Zero && options.JobTimeout <= TimeSpan.FromDays(1),
            $"{S}:JobTimeout must be between 0 and 1 day (was {options.JobTimeout}).");
        Check(options.StopTimeout > TimeSpan.Zero, $"Shutdown:Timeout must be positive (was {options.StopTimeout}).");
        foreach (var queue in options.Queues.Where(q => !QueueOptions.QueueName().IsMatch(q)))
        {
            failures.Add($"{S}:Queues holds '{queue}'; a queue name is 1-64 letters, digits, '_', '.' or '-'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add(message);
            }
        }
    }
}
