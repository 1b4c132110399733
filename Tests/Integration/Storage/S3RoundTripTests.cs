using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Storage;

/// <summary>The client's default chunked uploads corrupt objects on S3-compatible servers; these prove every path stores bytes exactly.</summary>
public sealed class S3RoundTripTests : IAsyncLifetime
{
    private readonly StorageOptions _options = new() { ConnectionString = TestEnvironment.Storage, Bucket = TestEnvironment.NewName("sstest-") };
    private AmazonS3Client _s3 = null!;

    public async ValueTask InitializeAsync()
    {
        _s3 = S3ClientFactory.Create(_options);
        await _s3.PutBucketAsync(_options.Bucket, TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_5_MB_random_object_comes_back_byte_for_byte()
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 17);

        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = "round/trip.bin", InputStream = new MemoryStream(bytes) }, ct);

        Assert.Equal(SHA256.HashData(bytes), await HashOfAsync("round/trip.bin", bytes.Length, ct));
    }

    [Fact]
    public async Task A_multipart_upload_through_TransferUtility_comes_back_byte_for_byte()
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 3);
        using var transfer = new TransferUtility(_s3);

        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = _options.Bucket,
            Key = "multi/part.bin",
            InputStream = new MemoryStream(bytes),
            PartSize = 5 * 1024 * 1024,
        }, ct);

        Assert.Equal(SHA256.HashData(bytes), await HashOfAsync("multi/part.bin", bytes.Length, ct));
    }

    [Fact]
    public async Task A_non_seekable_stream_is_stored_exactly()
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = "stream/once.bin",
            InputStream = new ForwardOnlyStream(bytes),
            Headers = { ContentLength = bytes.Length },
        }, ct);

        Assert.Equal(SHA256.HashData(bytes), await HashOfAsync("stream/once.bin", bytes.Length, ct));
    }

    [Fact]
    public async Task Listing_pages_through_more_objects_than_one_page_holds()
    {
        var ct = TestContext.Current.CancellationToken;
        var storage = new ObjectStorage(_s3, _s3, Microsoft.Extensions.Options.Options.Create(_options), TimeProvider.System);
        for (var i = 0; i < 3; i++)
        {
            await storage.PutAsync($"paged/{i}", new MemoryStream([(byte)i]), "application/octet-stream", null, ct);
        }

        var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = "paged/", MaxKeys = 2 }, ct);
        var second = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = "paged/", MaxKeys = 2, ContinuationToken = page.NextContinuationToken }, ct);

        Assert.True(page.IsTruncated);
        Assert.Equal(["paged/0", "paged/1", "paged/2"], page.S3Objects.Concat(second.S3Objects).Select(o => o.Key));
    }

    [Fact]
    public async Task Anonymous_requests_are_refused()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(_options.Endpoint, $"/{_options.Bucket}"), TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(S3UploadStream.PartSize)]
    [InlineData((2 * S3UploadStream.PartSize) + 12_345)]
    public async Task An_object_streamed_through_S3UploadStream_in_odd_chunks_comes_back_byte_for_byte(int size)
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = RandomNumberGenerator.GetBytes(size);
        var key = $"stream/{size}.bin";

        await using (var upload = new S3UploadStream(_s3, _options.Bucket, key, "application/octet-stream"))
        {
            for (var offset = 0; offset < size; offset += 70_001)
            {
                await upload.WriteAsync(bytes.AsMemory(offset, Math.Min(70_001, size - offset)), ct);
            }

            await upload.CompleteAsync(ct);
        }

        Assert.Equal(SHA256.HashData(bytes), await HashOfAsync(key, size, ct));
    }

    [Fact]
    public async Task An_S3UploadStream_never_completed_leaves_no_object()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var upload = new S3UploadStream(_s3, _options.Bucket, "stream/abandoned.bin", "application/octet-stream"))
        {
            await upload.WriteAsync(RandomNumberGenerator.GetBytes(S3UploadStream.PartSize + 1), ct);
        }

        var listing = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = "stream/abandoned" }, ct);
        Assert.Empty(listing.S3Objects ?? []);
    }

    private async Task<byte[]> HashOfAsync(string key, long expectedLength, CancellationToken ct)
    {
        using var response = await _s3.GetObjectAsync(_options.Bucket, key, ct);
        Assert.Equal(expectedLength, response.ContentLength);
        return await SHA256.HashDataAsync(response.ResponseStream, ct);
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
