using System.Collections.Concurrent;
using System.Diagnostics;

namespace SecondServer.Tests.Support;

/// <summary>One kind of request a <see cref="LoadGenerator"/> sends, made afresh for each sequence number.</summary>
internal sealed record LoadRequest(string Name, Func<long, HttpRequestMessage> Create);

/// <summary>
/// A request that failed, with when it started and ended (<see cref="Stopwatch.GetTimestamp"/>) to tell whether a kill
/// cut it, and for an answer that was an error: its status, content type and Retry-After header.
/// </summary>
internal sealed record LoadFailure(string Request, long Sequence, long StartedAt, long EndedAt, string Reason)
{
    public int? Status { get; init; }

    public string? ContentType { get; init; }

    public string? RetryAfter { get; init; }

    public override string ToString() => $"{Request} #{Sequence}: {Reason}";
}

/// <summary>
/// Bounded load on loopback: a few concurrent loops sending requests until stopped or until the time bound passes,
/// taking turns over a mix of request kinds (one GET by default), counting what failed (anything but 2xx, or no
/// answer) and which replica served the rest.
/// </summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly IReadOnlyList<LoadRequest> _mix;
    private readonly Task[] _loops;
    private long _sequence;
    private long _succeeded;
    private long _slowest;
    private volatile bool _finishing;

    private LoadGenerator(IReadOnlyList<LoadRequest> mix, int concurrency, TimeSpan bound)
    {
        _mix = mix;
        _stop = new CancellationTokenSource(bound);
        _loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(LoopAsync)).ToArray();
    }

    public ConcurrentQueue<LoadFailure> Failures { get; } = new();

    public ConcurrentDictionary<string, int> ServedBy { get; } = new();

    /// <summary>The sequence numbers of the requests that succeeded, per request kind.</summary>
    public ConcurrentDictionary<string, ConcurrentBag<long>> SucceededBy { get; } = new();

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>The longest any request took to be answered or to fail: what a user waited at worst.</summary>
    public TimeSpan Slowest => TimeSpan.FromSeconds((double)Interlocked.Read(ref _slowest) / Stopwatch.Frequency);

    public static LoadGenerator Start(Uri url, int concurrency = 4, TimeSpan? bound = null, Func<HttpRequestMessage, HttpRequestMessage>? prepare = null) =>
        Start([new LoadRequest(url.PathAndQuery, _ => (prepare ?? (r => r))(new HttpRequestMessage(HttpMethod.Get, url)))], concurrency, bound);

    public static LoadGenerator Start(IReadOnlyList<LoadRequest> mix, int concurrency = 4, TimeSpan? bound = null) =>
        new(mix, concurrency, bound ?? TimeSpan.FromMinutes(5));

    /// <summary>
    /// Starts no more requests and waits for those in flight to be answered. Unlike <see cref="StopAsync"/>, which
    /// abandons them (their server may still be writing after the client has gone), what they wrote is settled when
    /// it returns, so a test may look at the stored state.
    /// </summary>
    public async Task FinishAsync()
    {
        _finishing = true;
        await Task.WhenAll(_loops);
    }

    /// <summary>Stops the loops and waits for them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        while (!_stop.IsCancellationRequested && !_finishing)
        {
            var sequence = Interlocked.Increment(ref _sequence);
            var kind = _mix[(int)(sequence % _mix.Count)];
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = kind.Create(sequence);
                using var response = await http.SendAsync(request, _stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _succeeded);
                    ServedBy.AddOrUpdate(response.Headers.TryGetValues("X-Served-By", out var v) ? v.First() : "?", 1, (_, n) => n + 1);
                    SucceededBy.GetOrAdd(kind.Name, _ => []).Add(sequence);
                }
                else
                {
                    Failures.Enqueue(new LoadFailure(kind.Name, sequence, started, Stopwatch.GetTimestamp(), $"{(int)response.StatusCode} {response.ReasonPhrase}")
                    {
                        Status = (int)response.StatusCode,
                        ContentType = response.Content.Headers.ContentType?.MediaType,
                        RetryAfter = response.Headers.RetryAfter?.ToString(),
                    });
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Failures.Enqueue(new LoadFailure(kind.Name, sequence, started, Stopwatch.GetTimestamp(), ex.GetBaseException().Message));
            }

            var took = Stopwatch.GetTimestamp() - started;
            for (var slowest = Interlocked.Read(ref _slowest); took > slowest; slowest = Interlocked.Read(ref _slowest))
            {
                Interlocked.CompareExchange(ref _slowest, took, slowest);
            }
        }
    }
}
