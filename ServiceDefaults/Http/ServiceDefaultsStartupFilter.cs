using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace SecondServer.ServiceDefaults.Http;

/// <summary>
/// Puts the cross-cutting middleware in front of whatever pipeline the host builds, so no Program.cs can forget
/// them or order them wrongly: forwarded headers first (everything after sees the client's IP and scheme), then
/// the replica's name on every response.
/// </summary>
internal sealed class ServiceDefaultsStartupFilter(IConfiguration configuration) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var instanceId = configuration[InstanceIdentity.Key] ?? "unknown";
        app.UseForwardedHeaders();
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-Served-By"] = instanceId;
                return Task.CompletedTask;
            });
            return nextMiddleware(context);
        });
        next(app);
    };
}
