using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure.Queue;

namespace SecondServer.Web.Pages.Admin;

internal sealed class QueueModel(QueueAdminService queue) : PageModel
{
    /// <summary>The page shows the newest failures; the API pages through all of them.</summary>
    public const int FailedShown = 20;

    public QueueOverview Overview { get; private set; } = null!;

    public IReadOnlyList<FailedJob> FailedJobs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Overview = await queue.GetOverviewAsync(ct);
        FailedJobs = await queue.ListFailedAsync(queueName: null, FailedShown, beforeId: null, ct);
    }

    public async Task<IActionResult> OnPostRetryAsync(string jobId, CancellationToken ct) =>
        Done(await queue.RetryAsync(jobId, ct), $"Job {jobId} is back on its queue.", jobId);

    public async Task<IActionResult> OnPostDeleteAsync(string jobId, CancellationToken ct) =>
        Done(await queue.DeleteAsync(jobId, ct), $"Job {jobId} is deleted.", jobId);

    public async Task<IActionResult> OnPostRetryAllAsync(CancellationToken ct)
    {
        var retried = await queue.RetryAllAsync(queueName: null, ct);
        TempData["Flash"] = retried == 1 ? "1 failed job is back on its queue." : $"{retried} failed jobs are back on their queues.";
        return RedirectToPage();
    }

    /// <summary>Post, redirect, get: a reload never repeats the action, and another operator's click shows as gone.</summary>
    private RedirectToPageResult Done(bool found, string message, string jobId)
    {
        TempData["Flash"] = found ? message : $"Job {jobId} is no longer among the failed jobs (retried or deleted already).";
        return RedirectToPage();
    }
}
