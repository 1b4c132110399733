using SecondServer.Infrastructure.Queue;

namespace SecondServer.Web.Queue;

/// <summary>
/// Redis down means nothing was enqueued: answer 503 with Retry-After (a problem+json body), so the client knows
/// to try again rather than that it did something wrong.
/// </summary>
internal sealed class QueueUnavailableFilter(ILogger<QueueUnavailableFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (QueueUnavailableException ex)
        {
            logger.LogWarning("{Method} {Path} answered 503: {Error}", context.HttpContext.Request.Method, context.HttpContext.Request.Path, ex.Message);
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The job queue is unavailable", detail: "Nothing was queued. Try again in a few seconds.");
        }
    }
}
