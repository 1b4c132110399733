using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SecondServer.Infrastructure.Storage;

/// <summary>The object store could not be reached or failed on its side; the operation did not happen.</summary>
internal sealed class StorageUnavailableException(Exception inner) : Exception($"The object store is unavailable: {inner.Message}", inner);

/// <summary>An object as stored: its key, size and when it was written.</summary>
internal sealed record StoredObject(string Key, long Size, DateTimeOffset LastModified);

/// <summary>
/// The shared object store (rule 3): what one replica writes every replica reads. Works unchanged against MinIO,
/// s3rver and AWS S3. Content is streamed; nothing here holds a whole object in memory.
/// </summary>
internal sealed class ObjectStorage(IAmazonS3 s3, [FromKeyedServices(ObjectStorage.UrlSigner)] IAmazonS3 urlSigner, IOptions<StorageOptions> options, TimeProvider time)
{
    /// <summary>The service key of the client that presigns URLs for <c>Storage:PublicEndpoint</c> (or the endpoint).</summary>
    public const string UrlSigner = "storage-url-signer";

    /// <summary>Objects under random, never reused keys can be cached forever by browsers and CDNs.</summary>
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";

    private StorageOptions Options => options.Value;

    /// <summary>Stores a seekable <paramref name="content"/> under <paramref name="key"/> (its length is known, so it is sent plain and signed).</summary>
    public async Task PutAsync(string key, Stream content, string contentType, string? cacheControl, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = Options.Bucket,
            Key = key,
            InputStream = content,
            ContentType = contentType,
            AutoCloseStream = false,
        };
        if (cacheControl is not null)
        {
            request.Headers.CacheControl = cacheControl;
        }

        await GuardAsync(() => s3.PutObjectAsync(request, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// A write-only stream into the object <paramref name="key"/> for content whose length is not known up front: at
    /// most one part in memory whatever its size. Write asynchronously, then call <see cref="S3UploadStream.CompleteAsync"/>;
    /// disposing it without completing leaves no object.
    /// </summary>
    public S3UploadStream OpenWrite(string key, string contentType) => new(s3, Options.Bucket, key, contentType);

    /// <summary>Opens the object for reading; null when it does not exist. Dispose the response.</summary>
    public async Task<GetObjectResponse?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await GuardAsync(() => s3.GetObjectAsync(Options.Bucket, key, cancellationToken), cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await GuardAsync(() => s3.GetObjectMetadataAsync(Options.Bucket, key, cancellationToken), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await GuardAsync(() => s3.DeleteObjectAsync(Options.Bucket, key, cancellationToken), cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, page by page.</summary>
    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Options.Bucket, Prefix = prefix, MaxKeys = 1000 };
        while (true)
        {
            var page = await GuardAsync(() => s3.ListObjectsV2Async(request, cancellationToken), cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new StoredObject(item.Key, item.Size ?? 0, item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue);
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>
    /// A URL a browser can fetch the object from: on the CDN when <c>Storage:PublicBaseUrl</c> is set (cacheable,
    /// the same for everyone), otherwise a presigned GET that expires after <paramref name="lifetime"/>.
    /// </summary>
    public Uri ReadUrl(string key, TimeSpan lifetime) => PublicUrl(key) ?? PresignedUrl(key, lifetime);

    /// <summary>
    /// A presigned GET that expires after <paramref name="lifetime"/>, never the CDN: for private objects. It names
    /// <c>Storage:PublicEndpoint</c> when set (the address browsers reach), else the store's endpoint.
    /// </summary>
    public Uri PresignedUrl(string key, TimeSpan lifetime) => new(urlSigner.GetPreSignedURL(new GetPreSignedUrlRequest
    {
        BucketName = Options.Bucket,
        Key = key,
        Verb = HttpVerb.GET,
        Expires = time.GetUtcNow().Add(lifetime).UtcDateTime,
        Protocol = (Options.PublicEndpoint ?? Options.Endpoint).Scheme == Uri.UriSchemeHttps ? Protocol.HTTPS : Protocol.HTTP,
    }));

    /// <summary>The object's URL on the CDN (<c>Storage:PublicBaseUrl</c>), or null when there is none.</summary>
    public Uri? PublicUrl(string key) =>
        Options.PublicBaseUrl is { } cdn ? new Uri(cdn, string.Join('/', key.Split('/').Select(Uri.EscapeDataString))) : null;

    /// <summary>Tells an unreachable or failing store (503 for the client, retry for a job) from a request S3 refused.</summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
        {
            throw new StorageUnavailableException(ex);
        }
    }

    private static bool IsUnavailable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or IOException or System.Net.Sockets.SocketException => true,
        // A timeout of the client, not the caller giving up.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError } => true,
        AmazonClientException { InnerException: { } inner } => IsUnavailable(inner, cancellationToken),
        _ => false,
    };
}
