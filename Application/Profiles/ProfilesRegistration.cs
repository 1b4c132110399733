using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SecondServer.Application.Profiles;

internal static class ProfilesRegistration
{
    public static IServiceCollection AddProfiles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProfilePictureOptions>().Bind(configuration.GetSection(ProfilePictureOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ProfilePictureService>();
        services.AddSingleton<OrphanedPictureCleanup>();
        return services;
    }
}
