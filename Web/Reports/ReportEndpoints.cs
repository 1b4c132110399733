using System.Security.Claims;
using System.Text.Json.Serialization;
using SecondServer.Application.Reports;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Reports;

/// <summary><c>POST /api/reports</c> queues an accounts CSV; <c>GET /api/reports/{id}</c> follows it to its download link.</summary>
internal static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A Redis outage (QueueUnavailableException) answers 503 problem+json through the app's exception handler.
        var reports = endpoints.MapGroup("/api/reports").RequireAuthorization(AuthorizationPolicies.Admin);

        reports.MapPost("/", async (ReportService service, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        {
            var id = await service.RequestAsync(user.AccountId(), cancellationToken);
            return Results.Accepted($"/api/reports/{id}", new { id });
        });

        reports.MapGet("/{id:guid}", async (Guid id, ReportService service, CancellationToken cancellationToken) =>
            await service.GetAsync(id, cancellationToken) is { } report
                ? Results.Ok(new ReportResponse(report.Id, report.Status, report.DownloadUrl))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such report"));
        return endpoints;
    }

    private sealed record ReportResponse(
        Guid Id,
        string Status,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Uri? DownloadUrl);
}
