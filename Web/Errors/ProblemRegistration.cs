using Microsoft.AspNetCore.Http.Features;
using SecondServer.ServiceDefaults;

namespace SecondServer.Web.Errors;

internal static class ProblemRegistration
{
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["requestId"] = context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            context.ProblemDetails.Extensions["instance"] = context.HttpContext.RequestServices.GetRequiredService<InstanceIdentity>().Name;
        });
        services.AddExceptionHandler<ProblemResponses>();
        // Malformed JSON and missing bodies reach ProblemResponses as exceptions, with the reason in the message.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }
}
