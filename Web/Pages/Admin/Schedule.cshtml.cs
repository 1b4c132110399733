using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Web.Pages.Admin;

/// <summary>
/// The schedules at a glance: one line per slot however many servers tried it, each schedule's next slots and last
/// failure, and "run now", which runs a schedule once across the cluster and records who asked.
/// </summary>
internal sealed class ScheduleModel(
    ScheduleCatalog catalog,
    ScheduleHistory history,
    Scheduler scheduler,
    IOptions<SchedulingOptions> options,
    TimeProvider time,
    ILogger<ScheduleModel> logger) : PageModel
{
    /// <summary>How many of the newest slots the page lists.</summary>
    public const int SlotsShown = 30;

    /// <summary>How many upcoming slots the page names per schedule.</summary>
    public const int NextSlotsShown = 3;

    public IReadOnlyList<ScheduleDefinition> Schedules => catalog.Schedules;

    public IReadOnlyList<ScheduleSlot> Slots { get; private set; } = [];

    public IReadOnlyDictionary<string, ScheduleRunRecord> LastFailures { get; private set; } = new Dictionary<string, ScheduleRunRecord>();

    public DateTimeOffset Now { get; private set; }

    /// <summary>The manual slot this page's "run now" buttons carry: the same on every replica the click reaches.</summary>
    public string ManualSlot { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = time.GetUtcNow();
        ManualSlot = ManualRuns.Write(ManualRuns.NewSlot(time));
        Slots = await history.QuerySlotsAsync(SlotsShown, ct);
        LastFailures = (await history.LastFailuresAsync([.. catalog.Schedules.Select(s => s.Name)], ct)).ToDictionary(r => r.Job, StringComparer.Ordinal);
    }

    public IEnumerable<DateTimeOffset> NextSlots(ScheduleDefinition schedule)
    {
        var slot = Now;
        for (var i = 0; i < NextSlotsShown; i++)
        {
            slot = schedule.NextSlotAfter(slot);
            yield return slot;
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> now, once across the cluster for the manual slot the form carried; the outcome
    /// (started here, or already started by another replica for the same click) comes back as the flash message.
    /// </summary>
    public async Task<IActionResult> OnPostRunNowAsync(string? job, string? slot)
    {
        var schedule = catalog.Schedules.FirstOrDefault(s => s.Name == job);
        if (schedule is null)
        {
            return Invalid("job", $"There is no schedule named '{job}'.");
        }

        if (!ManualRuns.TryRead(slot, out var manualSlot))
        {
            return Invalid("slot", $"slot must be the manual slot the schedule page drew ({ManualRuns.Format}, not on a whole second).");
        }

        if (ManualRuns.Refusal(manualSlot, time.GetUtcNow(), options.Value) is { } refusal)
        {
            TempData["Flash"] = refusal;
            return RedirectToPage();
        }

        var user = User.FindFirstValue(ClaimTypes.Email) ?? User.Identity?.Name ?? "unknown";
        var outcome = await scheduler.RunNowAsync(schedule, manualSlot, user);
        logger.LogInformation("Schedule {Schedule}: run now by {User} on {Instance}: {Status} ({Detail})", schedule.Name, user, outcome.Instance, outcome.Status, outcome.Detail);
        TempData["Flash"] = outcome.Status == ScheduleRunStatus.Running
            ? $"{schedule.Name} runs now, on {outcome.Instance}, as asked by {user}."
            : outcome.Status == ScheduleRunStatus.SkippedOtherServer
                ? $"{schedule.Name} was already started for this click by another replica; {outcome.Instance} stood down."
                : $"{schedule.Name} did not run: {outcome.Detail}";
        return RedirectToPage();
    }

    /// <summary>"850 ms", "12.4 s", "3 min": a duration as precise as a glance needs.</summary>
    public static string Took(TimeSpan span) => span switch
    {
        { TotalSeconds: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms"),
        { TotalMinutes: < 1 } => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s"),
        _ => ClusterModel.Duration(span),
    };

    private BadRequestObjectResult Invalid(string field, string message) =>
        BadRequest(new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] }) { Status = StatusCodes.Status400BadRequest });
}
