using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace SecondServer.Tests.Unit;

/// <summary>A check whose client ignores cancellation while its connection hangs still fails at its timeout.</summary>
public sealed class HealthCheckDeadlineTests
{
    [Fact]
    public async Task A_check_that_ignores_its_token_fails_at_its_timeout_instead_of_holding_readiness()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddDefaultHealthChecks();
        builder.Services.AddHealthChecks().AddCheck<DeafCheck>("deaf", timeout: TimeSpan.FromMilliseconds(300));
        using var host = builder.Build();

        var started = Stopwatch.GetTimestamp();
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "deaf", TestContext.Current.CancellationToken);
        var took = Stopwatch.GetElapsedTime(started);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["deaf"].Status);
        Assert.True(took < TimeSpan.FromSeconds(20), $"readiness waited {took} for a check with a 300 ms timeout");
    }

    // Like a client blocked on a connection that never answers: the token is not looked at.
    private sealed class DeafCheck : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
            return HealthCheckResult.Healthy();
        }
    }
}
