using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Application.Reports;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

internal sealed class ReportsModel(ReportService reports) : PageModel
{
    public IReadOnlyList<(ReportStatus Report, DateTime CreatedAt)> Recent { get; private set; } = [];

    public bool AnyInProgress => Recent.Any(r => r.Report.Status is "queued" or "running");

    public async Task OnGetAsync(CancellationToken ct) => Recent = await reports.ListRecentAsync(20, ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await reports.RequestAsync(User.AccountId(), ct);
        TempData["Flash"] = "Your report is queued.";
        return RedirectToPage();
    }
}
