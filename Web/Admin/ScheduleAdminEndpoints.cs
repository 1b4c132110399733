using SecondServer.Infrastructure.Scheduling;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Admin;

/// <summary>The scheduler's run history for administrators: which instance ran each slot, and how it ended.</summary>
internal static class ScheduleAdminEndpoints
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapScheduleAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/admin/schedule/runs", ListRunsAsync).RequireAuthorization(AuthorizationPolicies.Admin);
        return endpoints;
    }

    /// <summary><c>?job=NAME</c> narrows to one schedule; <c>?limit=N</c> (1 to 1000, default 100) caps the newest-first list.</summary>
    private static async Task<IResult> ListRunsAsync(string? job, int? limit, ScheduleHistory history, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}."] });
        }

        return TypedResults.Ok(await history.QueryAsync(string.IsNullOrWhiteSpace(job) ? null : job, limit ?? DefaultLimit, cancellationToken));
    }
}
