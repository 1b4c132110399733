using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure.Queue;
using SecondServer.Web.Admin;

namespace SecondServer.Web.Pages.Admin;

/// <summary>One job: its payload (secrets redacted), its exception, and every attempt still on record.</summary>
internal sealed class QueueJobModel(QueueAdminService queue) : PageModel
{
    public JobHistory History { get; private set; } = null!;

    /// <summary>The envelope as queued, its secrets hidden; null when no copy is kept.</summary>
    public string? Payload { get; private set; }

    /// <summary>Every attempt on record, oldest first: the retried ones, then the last one.</summary>
    public IReadOnlyList<FinishedJob> Attempts { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string jobId, CancellationToken ct)
    {
        if (await queue.FindJobAsync(jobId, ct) is not { } history)
        {
            return NotFound();
        }

        History = history;
        var envelope = history.Finished?.Envelope ?? history.Failed?.Payload;
        Payload = envelope is null ? null : PayloadRedaction.Redact(envelope);
        Attempts = history.Finished is { } last ? [.. history.EarlierAttempts, last] : history.EarlierAttempts;
        return Page();
    }

    /// <summary>The page only shows a job: a post (it has no form) is refused, not rendered without one.</summary>
    public IActionResult OnPost() => StatusCode(StatusCodes.Status405MethodNotAllowed);
}
