using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SecondServer.Application.Accounts;

internal static class AccountsRegistration
{
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LoginOptions>().Bind(configuration.GetSection(LoginOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<ProfileCache>();
        services.AddSingleton<AccountService>();
        return services;
    }
}
