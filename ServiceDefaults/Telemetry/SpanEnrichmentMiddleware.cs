using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace SecondServer.ServiceDefaults.Telemetry;

/// <summary>
/// Gives ASP.NET Core's server spans the route, status and error the instrumentation package would add
/// (OpenTelemetry.Instrumentation.AspNetCore is not on the feed).
/// </summary>
internal sealed class SpanEnrichmentMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        try
        {
            await next(context);
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.AddException(ex);
            activity.SetStatus(ActivityStatusCode.Error);
            activity.SetTag("error.type", ex.GetType().FullName);
            throw;
        }
        finally
        {
            if (activity is not null)
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                activity.DisplayName = route is null ? context.Request.Method : $"{context.Request.Method} {route}";
                activity.SetTag("http.request.method", context.Request.Method);
                activity.SetTag("url.path", context.Request.Path.Value);
                activity.SetTag("http.route", route);
                activity.SetTag("http.response.status_code", context.Response.StatusCode);
                if (context.Response.StatusCode >= 500)
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                    activity.SetTag("error.type", context.Response.StatusCode.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
    }
}
