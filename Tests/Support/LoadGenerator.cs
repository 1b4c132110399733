using System.Collections.Concurrent;

namespace SecondServer.Tests.Support;

/// <summary>
/// Bounded load on loopback: a few concurrent loops of GETs against one URL until stopped or until the time bound
/// passes, counting what failed (anything but 2xx, or no answer) and which replica served the rest.
/// </summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _loops;
    private long _succeeded;

    private LoadGenerator(Uri url, int concurrency, TimeSpan bound, Func<HttpRequestMessage, HttpRequestMessage> prepare)
    {
        _stop = new CancellationTokenSource(bound);
        _loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => LoopAsync(url, prepare))).ToArray();
    }

    public ConcurrentQueue<string> Failures { get; } = new();

    public ConcurrentDictionary<string, int> ServedBy { get; } = new();

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public static LoadGenerator Start(Uri url, int concurrency = 4, TimeSpan? bound = null, Func<HttpRequestMessage, HttpRequestMessage>? prepare = null) =>
        new(url, concurrency, bound ?? TimeSpan.FromMinutes(5), prepare ?? (r => r));

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

    private async Task LoopAsync(Uri url, Func<HttpRequestMessage, HttpRequestMessage> prepare)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var request = prepare(new HttpRequestMessage(HttpMethod.Get, url));
                using var response = await http.SendAsync(request, _stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _succeeded);
                    ServedBy.AddOrUpdate(response.Headers.TryGetValues("X-Served-By", out var v) ? v.First() : "?", 1, (_, n) => n + 1);
                }
                else
                {
                    Failures.Enqueue($"{(int)response.StatusCode} {response.ReasonPhrase}");
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Failures.Enqueue(ex.GetBaseException().Message);
            }
        }
    }
}
