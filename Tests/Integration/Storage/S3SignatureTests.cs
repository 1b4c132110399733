using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Storage;

/// <summary>
/// The S3 server every test uses checks SigV4 signatures as AWS and MinIO do (deploy/s3/server.js): the app's own
/// requests and presigned URLs pass, and a wrong secret, a URL changed after signing, used for another host or past
/// its expiry are refused. Without this, tests of presigned links would pass whatever the app signed.
/// </summary>
public sealed class S3SignatureTests : IAsyncLifetime
{
    private const string Key = "signed/object.txt";
    private readonly StorageOptions _options = new() { ConnectionString = TestEnvironment.Storage, Bucket = TestEnvironment.NewName("sstest-") };
    private readonly HttpClient _http = new();
    private AmazonS3Client _s3 = null!;
    private ObjectStorage _storage = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _s3 = S3ClientFactory.Create(_options);
        _storage = new ObjectStorage(_s3, _s3, Options.Create(_options), TimeProvider.System);
        await _s3.PutBucketAsync(_options.Bucket, Ct);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = Key, ContentBody = "the signed content" }, Ct);
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = "signed/other.txt", ContentBody = "another object" }, Ct);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_client_with_the_right_access_key_and_a_wrong_secret_is_refused()
    {
        var wrong = new StorageOptions { ConnectionString = TestEnvironment.Storage.Replace($"SecretKey={_options.SecretKey}", "SecretKey=not-the-secret", StringComparison.Ordinal) };
        Assert.Equal(_options.AccessKey, wrong.AccessKey);
        using var forger = S3ClientFactory.Create(wrong);

        var read = await Assert.ThrowsAsync<AmazonS3Exception>(() => forger.GetObjectAsync(_options.Bucket, Key, Ct));
        var write = await Assert.ThrowsAsync<AmazonS3Exception>(() => forger.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = "forged.txt", ContentBody = "x" }, Ct));

        Assert.Equal((HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (read.StatusCode, read.ErrorCode));
        Assert.Equal((HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (write.StatusCode, write.ErrorCode));
    }

    [Fact]
    public async Task The_app_s_presigned_URL_is_accepted_and_refused_once_changed_or_sent_to_another_host()
    {
        var url = _storage.PresignedUrl(Key, TimeSpan.FromMinutes(5));
        var otherObject = new Uri(url.ToString().Replace("/signed/object.txt?", "/signed/other.txt?", StringComparison.Ordinal));
        var longerLife = new Uri(url.ToString().Replace("X-Amz-Expires=300", "X-Amz-Expires=3000", StringComparison.Ordinal));
        Assert.NotEqual(url, otherObject);
        Assert.NotEqual(url, longerLife);

        var (status, body) = await GetAsync(url);
        Assert.Equal((HttpStatusCode.OK, "the signed content"), (status, body));
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(otherObject)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(longerLife)).Status);
        // Minted for 127.0.0.1:port; the same bytes sent to that socket under another host name (a URL meant for
        // one endpoint replayed on another) fail the signed host header.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(url, host: "s3.example.com")).Status);
    }

    [Fact]
    public async Task A_presigned_URL_is_refused_once_it_has_expired()
    {
        var shortLived = _storage.PresignedUrl(Key, TimeSpan.FromSeconds(2));

        var (status, body) = await Eventually.WaitAsync(() => GetAsync(shortLived), r => r.Status != HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the two-second URL to expire");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Request has expired", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_storage.PresignedUrl(Key, TimeSpan.FromMinutes(5)))).Status);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(Uri url, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (host is not null)
        {
            request.Headers.Host = $"{host}:{url.Port}";
        }

        using var response = await _http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
