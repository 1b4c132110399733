using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure.Auditing;
using SecondServer.Infrastructure.Queue;
using SecondServer.ServiceDefaults;
using SecondServer.Web.Charts;

namespace SecondServer.Web.Pages.Admin;

/// <summary>
/// The queue's operator page: sizes, throughput and wait charts of one queue, per-type figures, the newest finished
/// jobs, the failed jobs (filtered, retried one by one or all matching), pausing, and the audit trail of every
/// action taken here. Every action is a form post (antiforgery-checked by Razor Pages), then a redirect.
/// </summary>
internal sealed class QueueModel(QueueAdminService queue, AuditLog audit, InstanceIdentity instance) : PageModel
{
    /// <summary>The page shows the newest failures; the API pages through all of them.</summary>
    public const int FailedShown = 20;

    public const int AuditShown = 20;

    public QueueOverview Overview { get; private set; } = null!;

    /// <summary>The queue the charts and per-type figures are for.</summary>
    [BindProperty(SupportsGet = true, Name = "queue")]
    public string? Selected { get; set; }

    [BindProperty(SupportsGet = true, Name = "type")]
    public string? FailedType { get; set; }

    [BindProperty(SupportsGet = true, Name = "text")]
    public string? FailedText { get; set; }

    public QueueActivity? Activity { get; private set; }

    public IReadOnlyList<FinishedJob> Recent { get; private set; } = [];

    public IReadOnlyList<FailedJob> FailedJobs { get; private set; } = [];

    public long FailedMatching { get; private set; }

    public IReadOnlyList<string> FailedTypes { get; private set; } = [];

    public IReadOnlyList<AuditEntry> Audit { get; private set; } = [];

    public bool Filtered => !string.IsNullOrWhiteSpace(FailedType) || !string.IsNullOrWhiteSpace(FailedText);

    private FailedJobFilter Filter => new(null, FailedType, FailedText);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Overview = await queue.GetOverviewAsync(ct);
        if (Selected is not null && Overview.Queues.All(q => q.Name != Selected))
        {
            return NotFound();
        }

        Selected ??= Overview.Queues.FirstOrDefault(q => q.Name == QueueOptions.DefaultQueue)?.Name ?? Overview.Queues.FirstOrDefault()?.Name;
        Activity = Selected is null ? null : await queue.GetActivityAsync(Selected, ct);
        Recent = await queue.RecentAsync(ct);
        FailedJobs = await queue.ListFailedAsync(Filter, FailedShown, beforeId: null, ct);
        (FailedMatching, FailedTypes) = await queue.CountFailedAsync(Filter, ct);
        Audit = await audit.NewestAsync(AuditShown, ct);
        return Page();
    }

    public TimeSeries Throughput(IReadOnlyList<ActivityPoint> points, string span, string id) =>
        new(id, $"{Selected}: jobs finished per minute, {span}", "jobs/min", [.. points.Select(p => new TimePoint(p.At, p.JobsPerMinute))]);

    public TimeSeries Wait(IReadOnlyList<ActivityPoint> points, string span, string id) =>
        new(id, $"{Selected}: mean wait before a job starts, {span}", "ms", [.. points.Select(p => new TimePoint(p.At, p.MeanWaitMs))]);

    public async Task<IActionResult> OnPostPauseAsync(string? name, CancellationToken ct)
    {
        if (name is null || !QueueOptions.QueueName().IsMatch(name))
        {
            return BadRequest();
        }

        // A second click (or another operator's) changes nothing and records nothing.
        if (!await queue.PauseAsync(name, ct))
        {
            return Done($"Queue {name} was paused already.", name);
        }

        await RecordAsync("pause", name, ct);
        return Done($"Queue {name} is paused: no worker reserves from it until it is resumed.", name);
    }

    public async Task<IActionResult> OnPostResumeAsync(string? name, CancellationToken ct)
    {
        if (name is null || !QueueOptions.QueueName().IsMatch(name))
        {
            return BadRequest();
        }

        if (!await queue.ResumeAsync(name, ct))
        {
            return Done($"Queue {name} was not paused.", name);
        }

        await RecordAsync("resume", name, ct);
        return Done($"Queue {name} is resumed.", name);
    }

    public async Task<IActionResult> OnPostRetryAsync(string jobId, CancellationToken ct)
    {
        var found = await queue.RetryAsync(jobId, ct);
        if (found)
        {
            await RecordAsync("retry", jobId, ct);
        }

        return Done(found ? $"Job {jobId} is back on its queue." : Gone(jobId));
    }

    public async Task<IActionResult> OnPostDeleteAsync(string jobId, CancellationToken ct)
    {
        var found = await queue.DeleteAsync(jobId, ct);
        if (found)
        {
            await RecordAsync("delete", jobId, ct);
        }

        return Done(found ? $"Job {jobId} is deleted." : Gone(jobId));
    }

    /// <summary>Retries every failed job the filter matches (all of them without a filter), not only those shown.</summary>
    public async Task<IActionResult> OnPostRetryMatchingAsync(CancellationToken ct)
    {
        var retried = await queue.RetryAllAsync(Filter, ct);
        await RecordAsync("retry matching", Describe(Filter, retried), ct);
        return Done(retried == 1 ? "1 failed job is back on its queue." : $"{retried} failed jobs are back on their queues.");
    }

    private static string Describe(FailedJobFilter filter, int retried) =>
        $"{retried} retried (type: {(string.IsNullOrWhiteSpace(filter.Type) ? "any" : filter.Type)}, text: {(string.IsNullOrWhiteSpace(filter.Text) ? "any" : $"\"{filter.Text}\"")})";

    private static string Gone(string jobId) => $"Job {jobId} is no longer among the failed jobs (retried or deleted already).";

    private Task RecordAsync(string action, string target, CancellationToken ct) =>
        audit.RecordAsync(User.FindFirstValue(ClaimTypes.Email) ?? "unknown", action, target, instance.Name, ct);

    /// <summary>Post, redirect, get: a reload never repeats the action, and another operator's click shows as gone.</summary>
    private RedirectToPageResult Done(string message, string? selected = null)
    {
        TempData["Flash"] = message;
        return RedirectToPage(new { queue = selected ?? Selected, type = FailedType, text = FailedText });
    }
}
