using SecondServer.Tests.Support;

namespace SecondServer.Tests.Unit;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public async Task Delays_complete_only_when_the_clock_passes_them()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var delay = Task.Delay(TimeSpan.FromSeconds(10), time, TestContext.Current.CancellationToken);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero), time.GetUtcNow());
    }

    [Fact]
    public void Periodic_timers_fire_once_per_period_passed()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        var fired = 0;
        using var timer = time.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(3.5));

        Assert.Equal(3, fired);
    }
}
