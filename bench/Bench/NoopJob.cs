using SecondServer.Infrastructure.Queue;

namespace SecondServer.Bench;

/// <summary>A job that does nothing, so what is measured is the queue alone.</summary>
internal sealed record NoopJob(int N) : IJob
{
    public static string JobType => "bench:noop";

    public const string Queue = "bench";

    internal sealed class Handler : IJobHandler<NoopJob>
    {
        public Task HandleAsync(NoopJob job, JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
