using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace SecondServer.Infrastructure.Storage;

/// <summary>
/// Builds an S3 client that stores bytes exactly on MinIO, s3rver and AWS alike. By default the SDK sends uploads
/// over http as <c>aws-chunked</c> with a checksum trailer, which s3rver stores verbatim (corrupt objects) and older
/// S3-compatible stores reject; here every request carries a plain body, and checksums are sent only where S3
/// requires them (AWS's own advice for third-party stores).
/// </summary>
internal static class S3ClientFactory
{
    private static readonly Lazy<bool> Registered = new(() =>
    {
        RuntimePipelineCustomizerRegistry.Instance.Register(new PlainBodyCustomizer());
        return true;
    });

    /// <summary>A client for the store's endpoint.</summary>
    public static AmazonS3Client Create(StorageOptions options) => Create(options, options.Endpoint);

    /// <summary>A client for <paramref name="endpoint"/>, the store's own endpoint unless only URLs are presigned with it.</summary>
    public static AmazonS3Client Create(StorageOptions options, Uri endpoint)
    {
        _ = Registered.Value;
        var config = new AmazonS3Config
        {
            ServiceURL = endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromSeconds(30),
            MaxErrorRetry = 2,
        };
        return new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    private sealed class PlainBodyCustomizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "SecondServer.PlainBody";

        public void Customize(Type type, RuntimePipeline pipeline)
        {
            if (typeof(IAmazonS3).IsAssignableFrom(type))
            {
                // Must run before the checksum handler, which would otherwise decide on chunked encoding.
                pipeline.AddHandlerBefore<ChecksumHandler>(new PlainBodyHandler());
            }
        }
    }

    private sealed class PlainBodyHandler : PipelineHandler
    {
        public override void InvokeSync(IExecutionContext executionContext)
        {
            Fix(executionContext);
            base.InvokeSync(executionContext);
        }

        public override Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            Fix(executionContext);
            return base.InvokeAsync<T>(executionContext);
        }

        private static void Fix(IExecutionContext context)
        {
            var request = context.RequestContext.Request;
            request.UseChunkEncoding = false;
            // A literal '/' in the copy source is valid everywhere; s3rver does not decode %2F there.
            if (request.Headers.TryGetValue("x-amz-copy-source", out var source))
            {
                request.Headers["x-amz-copy-source"] = source.Replace("%2F", "/", StringComparison.Ordinal);
            }
        }
    }
}
