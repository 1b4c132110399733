using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SecondServer.Application.Profiles;
using SecondServer.Web.Uploads;

namespace SecondServer.Web.Hardening;

/// <summary>
/// Every limit on what a client may send, in one place. Kestrel's defaults suit a server that takes anything;
/// this one takes small JSON bodies and forms, and one picture upload, so each limit is set to what the app needs
/// plus room, and a hostile client is cut off early instead of holding a connection, a thread or memory.
/// What Kestrel refuses before the app sees the request (header size, count, timeouts, slow bodies) gets no body:
/// the connection answers a bare 400/408/431 or is closed, as Kestrel does. Everything the app sees is problem+json.
/// </summary>
internal static class RequestLimits
{
    /// <summary>Any request body, unless its endpoint asks for more: JSON bodies and page forms are well under 1 KB.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Behind the balancer these are a browser's headers plus X-Forwarded-*; a few cookies, no bearer tokens.</summary>
    public const int MaxHeadersTotalBytes = 32 * 1024;

    /// <summary>A browser sends about 15 headers; more than this is a flood, not a client.</summary>
    public const int MaxHeaderCount = 64;

    /// <summary>The method, path and query string: the app's URLs are short, its queries a few small parameters.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>The same as the balancer's <c>timeout http-request</c>: a slow-headers (slowloris) client is cut off at the same point on either side.</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A body must keep coming at 1 KB/s after a 5 s grace: a 5 MB picture over a poor mobile link still makes it,
    /// a client trickling bytes to hold the connection open does not (Kestrel answers 408 and closes).
    /// </summary>
    public static readonly MinDataRate MinRequestBodyDataRate = new(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));

    /// <summary>A form has a handful of fields; its values are names, emails and passwords.</summary>
    public const int MaxFormValueCount = 32;

    public const int MaxFormValueBytes = 16 * 1024;

    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxHeadersTotalBytes;
            kestrel.Limits.MaxRequestHeaderCount = MaxHeaderCount;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineBytes;
            kestrel.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = MinRequestBodyDataRate;
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.ValueCountLimit = MaxFormValueCount;
            form.ValueLengthLimit = MaxFormValueBytes;
            form.KeyLengthLimit = 256;
        });
        return builder;
    }

    /// <summary>The body limit of the endpoints that take a profile picture: the picture limit plus the multipart envelope.</summary>
    public static TBuilder AllowPictureUpload<TBuilder>(this TBuilder endpoint, IServiceProvider services) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(PictureUploadLimit(services));

    public static IRequestSizeLimitMetadata PictureUploadLimit(IServiceProvider services) =>
        new BodyLimit(services.GetRequiredService<IOptions<ProfilePictureOptions>>().Value.MaxBytes + SingleFileUpload.EnvelopeAllowance);

    private sealed record BodyLimit(long? MaxRequestBodySize) : IRequestSizeLimitMetadata;
}
