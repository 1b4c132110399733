namespace SecondServer.Infrastructure.Queue;

/// <summary>When a failed attempt runs again (waits for a dependency to return use Resilience.Backoff).</summary>
internal static class RetryBackoff
{
    /// <summary>
    /// Exponential with "equal jitter": attempt n waits between half and all of min(max, base × 2^(n-1)). The floor
    /// keeps retries from hammering a struggling dependency; the random half spreads the jobs that failed together
    /// (say, during a database outage) so they do not all come back in the same instant.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 40));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (random.NextDouble() * capped / 2));
    }
}
