using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SecondServer.Infrastructure.Data;
using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Infrastructure.Queue;
using SecondServer.Infrastructure.Redis;
using SecondServer.Infrastructure.Scheduling;
using SecondServer.Infrastructure.Sessions;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Infrastructure;

/// <summary>Wires the three shared sources of truth (MySQL, Redis and S3) and the queue and scheduler built on them.</summary>
internal static class InfrastructureRegistration
{
    public static IHostApplicationBuilder AddInfrastructure(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddDatabase(builder.Configuration);
        builder.AddSharedRedis();
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddSharedSessions(builder.Configuration);
        builder.Services.AddSingleton<DependencyFailures>();
        builder.Services.AddSingleton<Auditing.AuditLog>();
        builder.Services.AddQueue(builder.Configuration);
        builder.Services.AddScheduling(builder.Configuration);
        builder.Services.AddDiagnostics();
        return builder;
    }
}
