using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Storage;
using SecondServer.Web.Pages;

namespace SecondServer.Web.Hardening;

/// <summary>
/// The browser-facing security headers, on every response the app writes: pages, API answers, static files, error
/// and status pages alike. One middleware at the front of the pipeline, adding them as the response starts, so no
/// endpoint can forget them and the exception handler's cleared response gets them too.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// Pages: scripts and styles from the app's own files only (no inline code, so an injected tag cannot run);
    /// images also from the object store, the public edge or CDN the picture redirects to, and blob:/data: for the upload preview;
    /// forms post only back here; no framing anywhere (clickjacking), no plugins, no base-URL rewriting.
    /// </summary>
    public static string PagePolicy(StorageOptions storage)
    {
        var images = new[] { storage.Endpoint, storage.PublicEndpoint, storage.PublicBaseUrl }.OfType<Uri>().Select(uri => uri.GetLeftPart(UriPartial.Authority)).Distinct();
        return $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {string.Join(' ', images)}; " +
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    /// <summary>API answers are data, never a document: nothing in one may load, run or be framed.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this WebApplication app)
    {
        // Read on the first request, not while the pipeline is built: by then the options were validated at start-up,
        // and invalid storage settings end the process with their own clear line, not an exception from here.
        var pagePolicy = new Lazy<string>(() => PagePolicy(app.Services.GetRequiredService<IOptions<StorageOptions>>().Value));
        return app.Use((context, next) =>
        {
            // Decided now: the exception handler re-points the path at the error page before the response starts.
            var policy = PagesRegistration.IsPageRequest(context) ? pagePolicy.Value : ApiPolicy;
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                // Content is served as the type it says it is: an uploaded file can never be sniffed into HTML.
                headers.XContentTypeOptions = "nosniff";
                // Page paths and report links stay on this site: other origins (the object store, linked sites) learn nothing.
                headers["Referrer-Policy"] = "same-origin";
                // For browsers that predate frame-ancestors.
                headers.XFrameOptions = "DENY";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
