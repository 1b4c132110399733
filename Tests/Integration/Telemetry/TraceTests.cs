using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using SecondServer.Infrastructure.Storage;
using SecondServer.ServiceDefaults.Telemetry;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Telemetry;

/// <summary>
/// ServiceDefaults' tracing end to end: the request that queues a report, the job's run on the Worker and the
/// Worker's MySQL and S3 calls are one trace. The Worker's span is parented only through the queue envelope's
/// <c>traceparent</c>: the job runs on the Worker's own loop, where no ambient activity of the request exists.
/// </summary>
public sealed class TraceTests : IAsyncLifetime
{
    private const string Admin = "admin@example.com";
    private readonly SpanList _webSpans = [];
    private readonly SpanList _workerSpans = [];
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    private TestHost Worker => _cluster.Worker();

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(1, 1, o =>
        {
            o.Name = "trace";
            o.Settings["Admin:Emails:0"] = Admin;
            o.Settings["Queue:PollInterval"] = "00:00:00.050";
            // No OTLP endpoint here: spans are recorded only when asked.
            o.Settings[OpenTelemetrySetup.TracingKey] = "true";
            o.ConfigureWeb = b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_webSpans));
            o.ConfigureWorker = b => b.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_workerSpans));
        }, TestContext.Current.CancellationToken);
        await Worker.Services.GetRequiredService<BucketInitializer>().EnsureBucketAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_queued_report_is_one_trace_from_the_request_through_the_worker_to_MySQL_and_S3()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, Admin);
        using var accepted = await browser.PostAsync(Web.Address, "/api/reports");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<Accepted>(TestContext.Current.CancellationToken))!.Id;
        await Eventually.WaitAsync(
            async () => (await (await browser.GetAsync(Web.Address, $"/api/reports/{id}")).Content.ReadFromJsonAsync<Accepted>(TestContext.Current.CancellationToken))!.Status,
            status => status is "done" or "failed", TimeSpan.FromSeconds(30), "the report to finish");

        var request = await Eventually.WaitAsync(
            // Every tracer provider in the process hears every host's requests: this host's are those to its port.
            () => Task.FromResult(_webSpans.Snapshot().SingleOrDefault(s => s.Kind == ActivityKind.Server
                && Convert.ToString(s.GetTagItem("server.port"), CultureInfo.InvariantCulture) == Web.Address.Port.ToString(CultureInfo.InvariantCulture)
                && s.GetTagItem("http.route") is "/api/reports/"
                && s.GetTagItem("http.request.method") is "POST")),
            s => s is not null, TimeSpan.FromSeconds(10), "the request's server span, named by its route");
        var trace = request!.TraceId;
        var handler = await Eventually.WaitAsync(
            () => Task.FromResult(_workerSpans.Snapshot().FirstOrDefault(s => s.TraceId == trace && s.Kind == ActivityKind.Consumer)),
            s => s is not null, TimeSpan.FromSeconds(10), "the Worker's job span to be exported");
        var publish = Assert.Single(_webSpans.Snapshot(), s => s.TraceId == trace && s.Kind == ActivityKind.Producer);
        var underHandler = await Eventually.WaitAsync(
            () => Task.FromResult(_workerSpans.Snapshot().Where(s => s.TraceId == trace && IsBelow(s, handler!, _workerSpans)).ToList()),
            spans => spans.Any(s => s.Source.Name == "MySqlConnector") && spans.Any(IsS3Call), TimeSpan.FromSeconds(10), "the job's MySQL and S3 spans");

        Assert.Equal(publish.SpanId, handler!.ParentSpanId);
        Assert.Contains(underHandler, s => s.Source.Name == "MySqlConnector" && s.Kind == ActivityKind.Client);
        Assert.Contains(underHandler, IsS3Call);
        Assert.Equal("worker-trace", InstanceOf(Worker));
    }

    private static bool IsS3Call(Activity span)
    {
        var endpoint = TestEnvironment.Storage.Split(';').Single(p => p.StartsWith("Endpoint=", StringComparison.Ordinal))["Endpoint=".Length..];
        return span.Kind == ActivityKind.Client && span.GetTagItem("url.full") is string url && url.StartsWith(endpoint, StringComparison.Ordinal);
    }

    private static string InstanceOf(TestHost host) =>
        host.Services.GetRequiredService<SecondServer.ServiceDefaults.InstanceIdentity>().Name;

    private static bool IsBelow(Activity span, Activity ancestor, SpanList all)
    {
        var byId = all.Snapshot().GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What the in-memory exporter writes to from the exporting thread while the test reads it.</summary>
    private sealed class SpanList : Collection<Activity>
    {
        public List<Activity> Snapshot()
        {
            lock (Items)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (Items)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private sealed record Accepted(Guid Id, string? Status);
}
