namespace SecondServer.Infrastructure.Resilience;

/// <summary>
/// Exponential back-off for background work that waits for a shared dependency to come back: 250 ms doubling to a
/// cap, so an outage costs a few log lines, not a busy loop, and recovery is noticed within the cap.
/// </summary>
internal sealed class Backoff(TimeProvider time, TimeSpan? first = null, TimeSpan? cap = null)
{
    private readonly TimeSpan _first = first ?? TimeSpan.FromMilliseconds(250);
    private readonly TimeSpan _cap = cap ?? TimeSpan.FromSeconds(5);
    private TimeSpan _next = first ?? TimeSpan.FromMilliseconds(250);

    /// <summary>The delay the next <see cref="WaitAsync"/> will take.</summary>
    public TimeSpan Next => _next;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, _cap.Ticks));
        await Task.Delay(delay, time, cancellationToken);
    }

    public void Reset() => _next = _first;
}
