using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SecondServer.Web;
using SecondServer.Worker;

namespace SecondServer.Tests.Support;

/// <summary>
/// A real Web or Worker host in the test process, on real Kestrel at a loopback port, wired to the real servers.
/// Two of them sharing a database, key prefix and bucket behave like two replicas behind the balancer: see
/// <see cref="TestCluster"/>, which starts them.
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;
    private bool _disposed;

    private TestHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a Web host; <paramref name="configure"/> runs after the test settings, e.g. to register a <see cref="ManualTimeProvider"/>.</summary>
    public static Task<TestHost> StartWebAsync(string instanceId, IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        StartAsync(instanceId, settings, WebApp.Build, configure, cancellationToken);

    public static Task<TestHost> StartWorkerAsync(string instanceId, IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        StartAsync(instanceId, settings, WorkerApp.Build, configure, cancellationToken);

    private static async Task<TestHost> StartAsync(
        string instanceId,
        IDictionary<string, string?> settings,
        Func<string[], Action<WebApplicationBuilder>, WebApplication> build,
        Action<WebApplicationBuilder>? configure,
        CancellationToken cancellationToken)
    {
        // The hosts read the servers' connection strings from the environment, like in production.
        await ServerContainers.EnsureStartedAsync();
        var app = build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Configuration.AddInMemoryCollection([new("App:InstanceId", instanceId)]);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.AddProvider(new TestOutputLoggerProvider());
            configure?.Invoke(builder);
        });
        await app.StartAsync(cancellationToken);
        return new TestHost(app, new Uri(app.Urls.First()));
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        return _app.StopAsync(cancellationToken);
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200: migrations applied, key ring in place, every dependency reachable.</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken) => Eventually.WaitAsync(
        async () =>
        {
            using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
            return response.StatusCode;
        },
        status => status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(30), $"{Address} to be ready");

    public async ValueTask DisposeAsync()
    {
        // Its test may have disposed it already, before its cluster does.
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Client.Dispose();
        // Stopped once is enough: a second stop would sit through the drain window again.
        if (!_stopped)
        {
            await _app.StopAsync(CancellationToken.None);
        }

        await _app.DisposeAsync();
    }
}
