using System.Security.Cryptography;
using Amazon.S3;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration;

/// <summary>Objects written through the streaming uploader come back byte for byte, small ones and multipart ones.</summary>
public sealed class S3UploadStreamTests : IAsyncLifetime
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

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(S3UploadStream.PartSize)]
    [InlineData((2 * S3UploadStream.PartSize) + 12_345)]
    public async Task Written_in_odd_chunks_the_object_comes_back_byte_for_byte(int size)
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

        using var response = await _s3.GetObjectAsync(_options.Bucket, key, ct);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, ct);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(copy.ToArray()));
    }

    [Fact]
    public async Task An_upload_never_completed_leaves_no_object()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var upload = new S3UploadStream(_s3, _options.Bucket, "stream/abandoned.bin", "application/octet-stream"))
        {
            await upload.WriteAsync(RandomNumberGenerator.GetBytes(S3UploadStream.PartSize + 1), ct);
        }

        var listing = await _s3.ListObjectsV2Async(new() { BucketName = _options.Bucket, Prefix = "stream/abandoned" }, ct);
        Assert.Empty(listing.S3Objects ?? []);
    }
}
