using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.AppHost;

/// <summary>
/// The real AppHost (Projects.AppHost) started through Aspire.Hosting.Testing, with its balancer on a port DCP
/// allocates (so a test run never needs 18080) and its data in a folder of its own under .data/test.
/// Keeps the last lines of every resource's console, so a resource that never gets healthy says why.
/// </summary>
internal sealed class RunningAppHost : IAsyncDisposable
{
    /// <summary>Every resource of a run; the tests wait for all of them.</summary>
    public static readonly string[] Resources = ["redis", "mysql", "s3", "web-1", "web-2", "worker-1", "balancer"];

    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _logs = new();
    private readonly ConcurrentQueue<string> _states = new();
    private readonly CancellationTokenSource _stopWatching = new();

    private RunningAppHost(DistributedApplication app)
    {
        App = app;
    }

    public DistributedApplication App { get; }

    /// <summary>From creating the builder until every resource was healthy.</summary>
    public TimeSpan StartedIn { get; private set; }

    public Uri Balancer => App.GetEndpoint("balancer", "http");

    /// <summary>Builds and starts the AppHost with <paramref name="servers"/>, then waits until every resource is healthy.</summary>
    public static async Task<RunningAppHost> StartAsync(string servers, string dataFolder, IEnumerable<string> extraArguments, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        string[] arguments =
        [
            $"--AppHost:Servers={servers}",
            "--AppHost:BalancerPort=0",
            $"--AppHost:DataDirectory={Path.Combine(TestEnvironment.RepositoryRoot, ".data", "test", dataFolder)}",
            .. extraArguments,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(arguments, cancellationToken);

        // Aspire.Hosting.Testing runs without the dashboard, yet points every project's OTLP exporter at the
        // dashboard's default address. Nothing answers there, and a stopping process then waits out its exporters'
        // timeouts, longer than Aspire waits for a stop. Without an endpoint ServiceDefaults exports nothing.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }

        var app = await builder.BuildAsync(cancellationToken);
        var running = new RunningAppHost(app);
        try
        {
            await app.StartAsync(cancellationToken);
            running.Watch();
            foreach (var resource in Resources)
            {
                await running.WaitHealthyAsync(resource, TimeSpan.FromMinutes(4), cancellationToken);
            }
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }

        running.StartedIn = started.Elapsed;
        return running;
    }

    /// <summary>Waits for the resource's health checks to pass; on timeout the message carries its last console lines.</summary>
    public async Task WaitHealthyAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, bounded.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{resource} was not healthy within {timeout.TotalSeconds:0} s. Its last console lines:\n{LastLines(resource)}");
        }
    }

    /// <summary>Waits until the resource has stopped (its process exited).</summary>
    public async Task WaitStoppedAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await App.ResourceNotifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), bounded.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{resource} did not stop within {timeout.TotalSeconds:0} s. Its last console lines:\n{LastLines(resource)}");
        }
    }

    /// <summary>The resource's last console lines, then the last state changes of every resource.</summary>
    public string LastLines(string resource) =>
        $"{(_logs.TryGetValue(resource, out var lines) ? string.Join('\n', lines) : "(none)")}\nStates:\n{string.Join('\n', _states)}";

    /// <summary>Keeps each resource's last console lines and its states as they change, for failure messages.</summary>
    private void Watch()
    {
        var logger = App.Services.GetRequiredService<ResourceLoggerService>();
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources.Where(r => Resources.Contains(r.Name)))
        {
            var lines = _logs.GetOrAdd(resource.Name, _ => new ConcurrentQueue<string>());
            _ = KeepLastAsync(logger.WatchAsync(resource), batch => batch.Select(l => l.Content), lines);
        }

        _ = KeepLastAsync(
            App.ResourceNotifications.WatchAsync(_stopWatching.Token),
            e => [$"{DateTime.UtcNow:HH:mm:ss.fff} {e.ResourceId}: {e.Snapshot.State?.Text} {e.Snapshot.HealthStatus}"],
            _states);
    }

    private async Task KeepLastAsync<T>(IAsyncEnumerable<T> source, Func<T, IEnumerable<string>> lines, ConcurrentQueue<string> into)
    {
        try
        {
            await foreach (var item in source.WithCancellation(_stopWatching.Token))
            {
                foreach (var line in lines(item))
                {
                    into.Enqueue(line);
                    while (into.Count > 40 && into.TryDequeue(out _))
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The AppHost is being disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        await App.DisposeAsync();
        _stopWatching.Dispose();
    }
}
