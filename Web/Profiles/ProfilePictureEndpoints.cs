using Microsoft.Extensions.Options;
using SecondServer.Application.Accounts;
using SecondServer.Application.Profiles;
using SecondServer.Infrastructure.Storage;
using SecondServer.Web.Accounts;
using SecondServer.Web.Hardening;
using SecondServer.Web.Uploads;

namespace SecondServer.Web.Profiles;

/// <summary>The profile picture (rule 3): uploaded through any replica into S3, served from S3 (or the CDN) to all.</summary>
internal static class ProfilePictureEndpoints
{
    public const string Path = "/api/profile/picture";

    public static IEndpointRouteBuilder MapProfilePictureEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut(Path, UploadAsync).RequireAuthorization().AllowPictureUpload(app.ServiceProvider);
        app.MapGet(Path, RedirectToPictureAsync).RequireAuthorization();
        return app;
    }

    /// <summary>Where a client fetches a picture from: the CDN URL when there is one, else this API's redirect.</summary>
    public static string? UrlFor(string? pictureKey, ObjectStorage storage) =>
        // The key is random and changes with every upload, so it versions the URL for caches.
        pictureKey is null ? null : storage.PublicUrl(pictureKey)?.ToString() ?? $"{Path}?v={System.IO.Path.GetFileNameWithoutExtension(pictureKey)}";

    private static async Task<IResult> UploadAsync(HttpContext http, ProfilePictureService pictures, ObjectStorage storage, IOptions<ProfilePictureOptions> options, CancellationToken ct)
    {
        FileStream file;
        try
        {
            file = await SingleFileUpload.ReadAsync(http.Request, "file", options.Value.MaxBytes, ct);
        }
        catch (UploadRejectedException rejected)
        {
            return rejected.ToResult(http);
        }

        await using (file)
        {
            return await pictures.ReplaceAsync(http.User.AccountId(), file, ct) switch
            {
                (PictureOutcome.Stored, var key) => Results.Ok(new { pictureUrl = UrlFor(key, storage) }),
                (PictureOutcome.UnsupportedType, _) => Results.Problem(
                    title: "Unsupported picture type.",
                    detail: "Upload a PNG, JPEG, GIF or WebP image.",
                    statusCode: StatusCodes.Status415UnsupportedMediaType),
                _ => Results.Problem(title: "The account no longer exists.", statusCode: StatusCodes.Status401Unauthorized),
            };
        }
    }

    private static async Task<IResult> RedirectToPictureAsync(HttpContext http, ProfileCache profiles, ObjectStorage storage, IOptions<ProfilePictureOptions> options, CancellationToken ct)
    {
        var profile = await profiles.GetAsync(http.User.AccountId(), ct);
        if (profile?.PictureKey is null)
        {
            return Results.Problem(title: "No profile picture.", statusCode: StatusCodes.Status404NotFound);
        }

        // Short-lived and per request: the redirect itself must not be cached by the browser longer than the URL lives.
        http.Response.Headers.CacheControl = "private, no-store";
        return Results.Redirect(storage.ReadUrl(profile.PictureKey, options.Value.UrlLifetime).ToString());
    }
}
