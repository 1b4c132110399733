using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure.Scheduling;

namespace SecondServer.Web.Pages.Admin;

internal sealed class ScheduleModel(ScheduleCatalog catalog, ScheduleHistory history, TimeProvider time) : PageModel
{
    public IReadOnlyList<ScheduleDefinition> Schedules => catalog.Schedules;

    public IReadOnlyList<ScheduleRunRecord> Runs { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = time.GetUtcNow();
        Runs = await history.QueryAsync(job: null, limit: 30, ct);
    }
}
