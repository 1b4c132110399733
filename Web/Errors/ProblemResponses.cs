using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using SecondServer.Infrastructure;

namespace SecondServer.Web.Errors;

/// <summary>
/// Every error is problem+json, never a stack trace: malformed requests are 400 with what was wrong, an outage
/// of a shared dependency is 503 naming it, anything else is 500 with the request id to find it in the logs.
/// </summary>
internal sealed class ProblemResponses(DependencyFailures dependencies, IProblemDetailsService problems, ILogger<ProblemResponses> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The handler runs with the request re-pointed at the error page; what the client asked for is kept here.
        var path = httpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? httpContext.Request.Path.Value ?? "";
        if (SecondServer.Web.Pages.PagesRegistration.IsPagePath(path))
        {
            // Pages get the HTML error page (/error) instead, with the same request id; a refused request is no fault of ours.
            if (exception is not BadHttpRequestException)
            {
                logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, path);
            }

            return false;
        }

        var problem = exception switch
        {
            BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "The request is malformed.", Detail = bad.Message },
            _ when dependencies.DependencyOf(exception) is { } dependency => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = $"{dependency} is unavailable.",
                Detail = $"This request needs {dependency}, which cannot be reached right now. Nothing was changed; try again shortly.",
            },
            _ => new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "An unexpected error occurred." },
        };
        if (problem.Status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("{Title} {Method} {Path}: {Error}", problem.Title, httpContext.Request.Method, httpContext.Request.Path, exception.Message);
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
