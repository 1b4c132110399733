using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Diagnostics.Probes;
using SecondServer.Web;

namespace SecondServer.Tests.Integration.Doctor;

/// <summary>The instance probe as the web host builds it, against a real HTTP server.</summary>
public sealed class InstanceProbeTests
{
    [Fact]
    public async Task A_not_ready_instance_is_asked_once_and_its_failing_checks_named_though_the_hosts_clients_retry()
    {
        var ct = TestContext.Current.CancellationToken;
        var asked = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var instance = builder.Build();
        instance.MapGet("/health/ready", () =>
        {
            Interlocked.Increment(ref asked);
            return Results.Json(
                new { status = "Unhealthy", checks = new[] { new { name = "self", status = "Healthy", description = "" }, new { name = "redis", status = "Unhealthy", description = "no answer" } } },
                statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        await instance.StartAsync(ct);
        // Built, not started: its services are what the pages use, with the defaults' retrying HTTP clients.
        await using var web = WebApp.Build([], _ => { });

        var (ready, readiness) = await web.Services.GetRequiredService<IInstanceProbe>().ReadinessAsync(new Uri(new Uri(instance.Urls.First()), "/health/ready"), ct);

        Assert.False(ready);
        Assert.Equal("503 redis: no answer", readiness);
        Assert.Equal(1, asked);
    }
}
