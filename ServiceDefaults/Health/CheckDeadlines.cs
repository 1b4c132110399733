using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace SecondServer.ServiceDefaults.Health;

/// <summary>
/// Makes every check's timeout a deadline. ASP.NET Core only cancels a check's token when its timeout passes, and a
/// client that ignores the token while its connection hangs (not refused: a frozen server or a black-holed network)
/// holds the check, and so <c>/health/ready</c>, until its own timeout: StackExchange.Redis waits out its 5 s command
/// timeout, MySqlConnector its 5 s connect timeout. HAProxy gives up on the check after 1 s in any case, but
/// readiness must also say "not ready" within the check's timeout to whoever else asks (scripts/deploy, the doctor,
/// an operator), so the wait ends at the timeout and the check counts as failed; the abandoned call ends on its
/// client's own timeout.
/// </summary>
internal sealed class CheckDeadlines : IPostConfigureOptions<HealthCheckServiceOptions>
{
    public void PostConfigure(string? name, HealthCheckServiceOptions options)
    {
        foreach (var registration in options.Registrations.Where(r => r.Timeout != Timeout.InfiniteTimeSpan))
        {
            var inner = registration.Factory;
            registration.Factory = services => new Deadline(inner(services));
        }
    }

    private sealed class Deadline(IHealthCheck inner) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var check = inner.CheckHealthAsync(context, cancellationToken);
            _ = check.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return check.WaitAsync(cancellationToken);
        }
    }
}
