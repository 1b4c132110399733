using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Diagnostics.Balancer;

namespace SecondServer.Infrastructure.Diagnostics.Probes;

/// <summary>Registers what looks at a running cluster from outside: the balancer's runtime API and the probes.</summary>
internal static class ProbeRegistration
{
    public static IServiceCollection AddClusterProbes(this IServiceCollection services)
    {
        services.AddSingleton<IHaproxyRuntimeApi, HaproxyRuntimeApi>();
        services.AddSingleton<IListenerScan, ListenerScan>();
        services.AddSingleton<IAnonymousAccessProbe, AnonymousAccessProbe>();
        services.AddSingleton<IInstanceProbe, InstanceProbe>();
        // The host's defaults give every client retries; a probe must report the first answer, a 503 with the failing
        // checks, not wait out retries past its bound and report silence.
        services.AddHttpClient(InstanceProbe.HttpClientName).ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear());
        return services;
    }
}
