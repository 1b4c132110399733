using Microsoft.AspNetCore.Mvc.RazorPages;
using SecondServer.Application.Accounts;
using SecondServer.Web.Accounts;

namespace SecondServer.Web.Pages;

internal sealed class IndexModel(ProfileCache profiles) : PageModel
{
    public string? DisplayName { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            DisplayName = (await profiles.GetAsync(User.AccountId(), ct))?.DisplayName;
        }
    }
}
