using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// Spans and counters of the queue, under the <c>SecondServer.</c> prefix that ServiceDefaults' OpenTelemetry
/// listens to. A dispatch span (producer) carries the request's trace into the envelope's <c>traceparent</c>; the
/// handler's span (consumer) continues it, so one trace shows the request and the job it caused.
/// </summary>
internal static class QueueTelemetry
{
    public const string Name = "SecondServer.Queue";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Processed = Meter.CreateCounter<long>("secondserver.queue.jobs.processed", "{job}", "Jobs that succeeded.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("secondserver.queue.jobs.failed", "{job}", "Jobs moved to failed_jobs.");

    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("secondserver.queue.jobs.retried", "{job}", "Attempts that failed and were scheduled again.");

    public static Activity? StartDispatch(string type, string queue, string jobId)
    {
        var activity = Source.StartActivity($"publish {type}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.operation.type", "publish");
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("messaging.message.id", jobId);
        return activity;
    }

    /// <summary>The W3C trace context to write into the envelope: the dispatch span's, else the caller's.</summary>
    public static string? TraceParentOf(Activity? activity) =>
        (activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    public static Activity? StartProcess(JobEnvelope envelope, Reservation reservation)
    {
        ActivityContext.TryParse(envelope.TraceParent, null, out var parent);
        var activity = Source.StartActivity($"process {envelope.Type}", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", reservation.Queue);
        activity?.SetTag("messaging.message.id", reservation.JobId);
        activity?.SetTag("messaging.message.delivery_count", reservation.Attempts);
        return activity;
    }

    public static TagList Tags(string queue, string type) => new() { { "queue", queue }, { "job.type", type } };
}
