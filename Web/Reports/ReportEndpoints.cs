using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using SecondServer.Application.Reports;
using SecondServer.Web.Accounts;
using SecondServer.Web.Queue;

namespace SecondServer.Web.Reports;

/// <summary><c>POST /api/reports</c> queues an accounts CSV; <c>GET /api/reports/{id}</c> follows it to its download link.</summary>
internal static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var reports = endpoints.MapGroup("/api/reports")
            .RequireAuthorization(AuthorizationPolicies.Admin)
            .AddEndpointFilter<QueueUnavailableFilter>();

        reports.MapPost("/", async (ReportService service, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        {
            var id = await service.RequestAsync(AccountIdOf(user), cancellationToken);
            return Results.Accepted($"/api/reports/{id}", new { id });
        });

        reports.MapGet("/{id:guid}", async (Guid id, ReportService service, CancellationToken cancellationToken) =>
            await service.GetAsync(id, cancellationToken) is { } report
                ? Results.Ok(new ReportResponse(report.Id, report.Status, report.DownloadUrl))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such report"));
        return endpoints;
    }

    private static long? AccountIdOf(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private sealed record ReportResponse(
        Guid Id,
        string Status,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Uri? DownloadUrl);
}
