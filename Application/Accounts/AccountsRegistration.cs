using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Sessions;

namespace SecondServer.Application.Accounts;

internal static class AccountsRegistration
{
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LoginOptions>().Bind(configuration.GetSection(LoginOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<ProfileCache>();
        services.Configure<SessionReadOptions>(o => o.CacheKeysPerUser.Add(ProfileCache.KeyFor));
        services.AddSingleton<AccountService>();
        return services;
    }
}
