using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SecondServer.Application.Accounts;
using SecondServer.Application.Profiles;
using SecondServer.Infrastructure.Storage;
using SecondServer.Web.Accounts;
using SecondServer.Web.Profiles;
using SecondServer.Web.Uploads;

namespace SecondServer.Web.Pages;

internal sealed class ProfileModel(ProfileCache profiles, AccountService accounts, ProfilePictureService pictures, ObjectStorage storage, IOptions<ProfilePictureOptions> options) : PageModel
{
    public string Email { get; private set; } = "";

    [BindProperty]
    public string? DisplayName { get; set; }

    public string? PictureUrl { get; private set; }

    public string? NameError { get; private set; }

    public string? PictureError { get; private set; }

    public double MaxMegabytes => Math.Round(options.Value.MaxBytes / (1024.0 * 1024.0), 1);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(keepName: false, ct) ? Page() : Redirect("/login");

    public async Task<IActionResult> OnPostNameAsync(CancellationToken ct)
    {
        if (await accounts.UpdateDisplayNameAsync(User.AccountId(), DisplayName, ct) is UpdateDisplayNameResult.Invalid { Errors: var errors })
        {
            NameError = errors.GetValueOrDefault("displayName");
            return await LoadAsync(keepName: true, ct) ? Page() : Redirect("/login");
        }

        TempData["Flash"] = "Your name is saved.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostPictureAsync(CancellationToken ct)
    {
        try
        {
            await using var file = await SingleFileUpload.ReadAsync(Request, "file", options.Value.MaxBytes, ct);
            var (outcome, _) = await pictures.ReplaceAsync(User.AccountId(), file, ct);
            if (outcome == PictureOutcome.Stored)
            {
                TempData["Flash"] = "Your picture is saved.";
                return RedirectToPage();
            }

            PictureError = outcome == PictureOutcome.UnsupportedType ? "That file is not a PNG, JPEG, GIF or WebP image." : "Your account no longer exists.";
        }
        catch (UploadRejectedException rejected)
        {
            PictureError = rejected.Status == StatusCodes.Status400BadRequest && rejected.Title.StartsWith("No file", StringComparison.Ordinal)
                ? "Choose a picture first."
                : $"{rejected.Title} {rejected.Detail}";
        }

        return await LoadAsync(keepName: false, ct) ? Page() : Redirect("/login");
    }

    private async Task<bool> LoadAsync(bool keepName, CancellationToken ct)
    {
        var profile = await profiles.GetAsync(User.AccountId(), ct);
        if (profile is null)
        {
            return false;
        }

        Email = profile.Email;
        DisplayName = keepName ? DisplayName : profile.DisplayName;
        PictureUrl = ProfilePictureEndpoints.UrlFor(profile.PictureKey, storage);
        return true;
    }
}
