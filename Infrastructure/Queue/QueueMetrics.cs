using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// What one finished attempt of a job was: known to the worker that ran it, written to Redis with its settlement.
/// <c>Wait</c> runs from the job's available-at to the start of its first attempt (null for later attempts, whose
/// wait would include their back-off); <c>Error</c> is a failed attempt's exception.
/// </summary>
internal sealed record JobRun(string Type, DateTimeOffset StartedAt, TimeSpan Duration, TimeSpan? Wait, string Instance, string? Error);

/// <summary>One entry of the newest finished jobs, or of a job's earlier attempts.</summary>
internal sealed record FinishedJob
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    public required string Queue { get; init; }

    /// <summary><c>succeeded</c>, <c>failed</c> (moved to failed_jobs) or <c>retried</c> (an earlier attempt).</summary>
    public required string State { get; init; }

    public required int Attempts { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double DurationMs { get; init; }

    public required string Instance { get; init; }

    public string? Error { get; init; }

    /// <summary>
    /// The envelope as queued (newest-jobs entries only), for the detail view. Not part of the entry's JSON but
    /// stored after it and a newline, so it is never escaped into a JSON string.
    /// </summary>
    [JsonIgnore]
    public string? Envelope { get; init; }

    public string Serialize() => JsonSerializer.Serialize(this, FinishedJobJson.Default.FinishedJob);

    /// <summary>Reads an entry: its JSON, then, after the first newline, the envelope if any.</summary>
    public static FinishedJob? TryParse(string stored)
    {
        var cut = stored.IndexOf('\n', StringComparison.Ordinal);
        try
        {
            var entry = JsonSerializer.Deserialize(cut < 0 ? stored : stored[..cut], FinishedJobJson.Default.FinishedJob);
            return cut < 0 || entry is null ? entry : entry with { Envelope = stored[(cut + 1)..] is { Length: > 0 } envelope ? envelope : null };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FinishedJob))]
internal sealed partial class FinishedJobJson : JsonSerializerContext;

/// <summary>
/// The per-minute counters of one queue (Horizon's snapshots, kept cheaper): one Redis hash per queue and minute,
/// fields <c>TYPE|KIND</c>, incremented in the same Lua call that acknowledges a batch, so a batch of hundreds of
/// jobs costs a handful of HINCRBYs, not one write per job.
/// </summary>
/// <remarks>
/// Kinds: <c>p</c> succeeded, <c>f</c> failed for good, <c>r</c> run time in ms (both), <c>w</c> wait in ms and
/// <c>n</c> the first attempts it was measured over, <c>hB</c> runs in run-time bucket B. The buckets are a quarter
/// of a power of two wide (bucket B holds runs of at most 2^(B/4) ms), so a percentile read from them is at most
/// 19 % above the true one, whatever the scale, with a few dozen fields per type at most.
/// </remarks>
internal static class QueueMetrics
{
    public const char Separator = '|';

    /// <summary>Long enough to draw the last 24 hours from the oldest bucket.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(25);

    /// <summary>How many finished jobs the newest-jobs list keeps (each process's, and the merged one).</summary>
    public const int RecentKept = 100;

    private const int MaxBucket = 120;

    public static long MinuteOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    public static int Bucket(TimeSpan run)
    {
        var ms = run.TotalMilliseconds;
        return ms <= 1 ? 0 : Math.Min(MaxBucket, (int)Math.Ceiling(4 * Math.Log2(ms)));
    }

    public static double BucketUpperMs(int bucket) => Math.Pow(2, bucket / 4.0);

    /// <summary>
    /// The field increments for a batch of finished runs: one entry per field, however many runs. Summed per type
    /// first, so the field names are made once per type and batch, not once per job.
    /// </summary>
    public static List<KeyValuePair<string, long>> Increments(IEnumerable<(JobRun Run, bool Succeeded)> runs)
    {
        var types = new Dictionary<string, BatchSums>(StringComparer.Ordinal);
        foreach (var (run, succeeded) in runs)
        {
            if (!types.TryGetValue(run.Type, out var sums))
            {
                types[run.Type] = sums = new BatchSums();
            }

            sums.Add(run, succeeded);
        }

        var fields = new List<KeyValuePair<string, long>>();
        foreach (var (type, sums) in types)
        {
            sums.AppendTo(type + Separator, fields);
        }

        return fields;
    }

    /// <summary>Folds one minute's hash into per-type figures.</summary>
    public static Dictionary<string, TypeFigures> Parse(IEnumerable<KeyValuePair<string, long>> fields)
    {
        var types = new Dictionary<string, TypeFigures>(StringComparer.Ordinal);
        foreach (var (field, value) in fields)
        {
            var cut = field.LastIndexOf(Separator);
            if (cut <= 0 || cut == field.Length - 1)
            {
                continue;
            }

            var type = field[..cut];
            if (!types.TryGetValue(type, out var figures))
            {
                types[type] = figures = new TypeFigures();
            }

            figures.Add(field[(cut + 1)..], value);
        }

        return types;
    }
}

/// <summary>One job type's runs in one acknowledged batch.</summary>
internal sealed class BatchSums
{
    private readonly Dictionary<int, long> _buckets = [];
    private long _succeeded;
    private long _failed;
    private long _runMs;
    private long _waitMs;
    private long _waits;

    public void Add(JobRun run, bool succeeded)
    {
        if (succeeded)
        {
            _succeeded++;
        }
        else
        {
            _failed++;
        }

        _runMs += (long)Math.Round(run.Duration.TotalMilliseconds);
        var bucket = QueueMetrics.Bucket(run.Duration);
        _buckets[bucket] = _buckets.GetValueOrDefault(bucket) + 1;
        if (run.Wait is { } wait)
        {
            _waitMs += (long)Math.Round(Math.Max(0, wait.TotalMilliseconds));
            _waits++;
        }
    }

    public void AppendTo(string prefix, List<KeyValuePair<string, long>> fields)
    {
        Append("p", _succeeded);
        Append("f", _failed);
        Append("r", _runMs);
        Append("w", _waitMs);
        Append("n", _waits);
        foreach (var (bucket, count) in _buckets)
        {
            fields.Add(new(prefix + "h" + bucket.ToString(CultureInfo.InvariantCulture), count));
        }

        void Append(string kind, long value)
        {
            if (value != 0)
            {
                fields.Add(new(prefix + kind, value));
            }
        }
    }
}

/// <summary>One job type's counters over some minutes; <see cref="Merge"/> sums them.</summary>
internal sealed class TypeFigures
{
    private readonly SortedDictionary<int, long> _histogram = [];

    public long Succeeded { get; private set; }

    public long Failed { get; private set; }

    public long RunMs { get; private set; }

    public long WaitMs { get; private set; }

    public long Waits { get; private set; }

    public long Finished => Succeeded + Failed;

    public double? MeanRunMs => Finished == 0 ? null : (double)RunMs / Finished;

    public double? MeanWaitMs => Waits == 0 ? null : (double)WaitMs / Waits;

    /// <summary>The upper bound of the histogram bucket that holds the given percentile of runs.</summary>
    public double? PercentileRunMs(double percentile)
    {
        var total = _histogram.Values.Sum();
        if (total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(total * percentile / 100);
        long seen = 0;
        foreach (var (bucket, count) in _histogram)
        {
            seen += count;
            if (seen >= rank)
            {
                return QueueMetrics.BucketUpperMs(bucket);
            }
        }

        return QueueMetrics.BucketUpperMs(_histogram.Keys.Last());
    }

    public void Merge(TypeFigures other)
    {
        Succeeded += other.Succeeded;
        Failed += other.Failed;
        RunMs += other.RunMs;
        WaitMs += other.WaitMs;
        Waits += other.Waits;
        foreach (var (bucket, count) in other._histogram)
        {
            _histogram[bucket] = _histogram.GetValueOrDefault(bucket) + count;
        }
    }

    internal void Add(string kind, long value)
    {
        switch (kind)
        {
            case "p": Succeeded += value; break;
            case "f": Failed += value; break;
            case "r": RunMs += value; break;
            case "w": WaitMs += value; break;
            case "n": Waits += value; break;
            default:
                if (kind.Length > 1 && kind[0] == 'h' && int.TryParse(kind.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var bucket))
                {
                    _histogram[bucket] = _histogram.GetValueOrDefault(bucket) + value;
                }

                break;
        }
    }
}
