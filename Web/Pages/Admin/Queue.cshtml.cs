using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Infrastructure.Queue;

namespace SecondServer.Web.Pages.Admin;

internal sealed class QueueModel(QueueAdminService queue) : PageModel
{
    public QueueOverview Overview { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Overview = await queue.GetOverviewAsync(ct);
}
