using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Caching;
using SecondServer.Infrastructure.DataProtection;
using SecondServer.Infrastructure.RateLimiting;

namespace SecondServer.Infrastructure.Sessions;

internal static class SessionRegistration
{
    /// <summary>Everything a replica needs to share sign-ins with the others: key ring, ticket store, cache, limits.</summary>
    public static IServiceCollection AddSharedSessions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionLifetimeOptions>().Bind(configuration.GetSection(SessionLifetimeOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSharedDataProtection(configuration);
        services.AddSingleton<RedisTicketStore>();
        services.AddSingleton<ITicketStore>(sp => sp.GetRequiredService<RedisTicketStore>());
        services.AddSharedCache();
        services.AddSingleton<RedisRateLimiter>();
        return services;
    }
}
