using Microsoft.AspNetCore.Mvc;
using SecondServer.Infrastructure.Queue;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Admin;

/// <summary>The queue's dashboard for administrators: figures per queue, and the failed jobs to inspect, retry or delete.</summary>
internal static class QueueAdminEndpoints
{
    public static IEndpointRouteBuilder MapQueueAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/api/admin/queue").RequireAuthorization(AuthorizationPolicies.Admin);

        admin.MapGet("/", async (QueueAdminService queue, CancellationToken cancellationToken) =>
            Results.Ok(await queue.GetOverviewAsync(cancellationToken)));

        admin.MapGet("/failed", async (
            QueueAdminService queue,
            [FromQuery(Name = "queue")] string? queueName,
            string? type,
            string? text,
            int? limit,
            long? before,
            CancellationToken cancellationToken) =>
        {
            var page = await queue.ListFailedAsync(new FailedJobFilter(queueName, type, text), limit ?? 50, before, cancellationToken);
            return Results.Ok(new { items = page.Select(Summary), next = page.Count > 0 ? page[^1].Id : (long?)null });
        });

        admin.MapGet("/failed/{jobId}", async (string jobId, QueueAdminService queue, CancellationToken cancellationToken) =>
            await queue.FindFailedAsync(jobId, cancellationToken) is { } job
                ? Results.Ok(new { job.JobId, job.Queue, job.JobType, job.Attempts, job.FailedAt, job.FailedBy, job.Exception, job.Payload })
                : NoSuchJob());

        admin.MapPost("/failed/{jobId}/retry", async (string jobId, QueueAdminService queue, CancellationToken cancellationToken) =>
            await queue.RetryAsync(jobId, cancellationToken) ? Results.Accepted(value: new { jobId }) : NoSuchJob());

        admin.MapPost("/failed/retry", async (QueueAdminService queue, [FromQuery(Name = "queue")] string? queueName, string? type, string? text, CancellationToken cancellationToken) =>
            Results.Ok(new { retried = await queue.RetryAllAsync(new FailedJobFilter(queueName, type, text), cancellationToken) }));

        admin.MapDelete("/failed/{jobId}", async (string jobId, QueueAdminService queue, CancellationToken cancellationToken) =>
            await queue.DeleteAsync(jobId, cancellationToken) ? Results.NoContent() : NoSuchJob());
        return endpoints;
    }

    private static object Summary(FailedJob job) => new
    {
        job.JobId,
        job.Queue,
        job.JobType,
        job.Attempts,
        job.FailedAt,
        job.FailedBy,
        // The whole trace is on the job's own page.
        Error = job.Headline,
    };

    private static IResult NoSuchJob() => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such failed job");
}
