using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace SecondServer.ServiceDefaults.Http;

/// <summary>
/// Puts the cross-cutting middleware in front of whatever pipeline the host builds, so no Program.cs can forget
/// them or order them wrongly: forwarded headers first (everything after sees the client's IP and scheme), then
/// the replica's name on every response.
/// </summary>
internal sealed class ServiceDefaultsStartupFilter(InstanceIdentity instance) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseForwardedHeaders();
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-Served-By"] = instance.Name;
                return Task.CompletedTask;
            });
            return nextMiddleware(context);
        });
        next(app);
    };
}
