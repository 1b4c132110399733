namespace SecondServer.Infrastructure.Queue;

/// <summary>One settled run waiting to be published to the newest-jobs list.</summary>
internal readonly record struct SettledRun(Reservation Reservation, JobRun Run, string State);

/// <summary>
/// The newest runs this process settled, kept in memory as they settle and published to Redis in one call a second
/// (<see cref="RedisJobQueue.PublishRecentAsync"/>). So the newest-jobs list is exact at any rate, while what it
/// costs (serializing, sending, pushing) is per second rather than per job: per job it is one store in this ring.
/// </summary>
internal sealed class RecentRuns
{
    private readonly Lock _gate = new();
    private readonly SettledRun[] _ring = new SettledRun[QueueMetrics.RecentKept];
    private long _added;
    private long _taken;

    public void Add(Lease lease, string state)
    {
        if (lease.Run is not { } run)
        {
            return;
        }

        lock (_gate)
        {
            _ring[_added % _ring.Length] = new SettledRun(lease.Reservation, run, state);
            _added++;
        }
    }

    /// <summary>The runs added since the last call, oldest first: at most the list's length, the newest ones.</summary>
    public List<SettledRun> TakeNew()
    {
        lock (_gate)
        {
            var from = Math.Max(_taken, _added - _ring.Length);
            var taken = new List<SettledRun>((int)(_added - from));
            for (var i = from; i < _added; i++)
            {
                taken.Add(_ring[i % _ring.Length]);
            }

            _taken = _added;
            return taken;
        }
    }
}
