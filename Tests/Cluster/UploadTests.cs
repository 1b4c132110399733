using System.Net;
using System.Security.Cryptography;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 3 on the running cluster: uploaded through web-1, the same bytes come back through web-2; the default size limit holds.</summary>
[Collection("cluster")]
public sealed class UploadTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_picture_uploaded_on_web_1_is_served_byte_for_byte_on_web_2()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var picture = RandomNumberGenerator.GetBytes(200_000);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(picture, 0);

        using var upload = await browser.PutAsync(cluster.Replica(1), "/api/profile/picture", new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.jpg" } });
        using var redirect = await browser.GetAsync(cluster.Replica(2), "/api/profile/picture");
        using var http = new HttpClient();
        var served = await http.GetByteArrayAsync(redirect.Headers.Location, ct);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal(picture, served);
    }

    [Fact]
    public async Task Through_the_balancer_a_picture_of_exactly_5_MiB_is_accepted_and_one_byte_more_is_413()
    {
        // The default limit, as the replicas run it (the integration tests lower it to keep their uploads small).
        const int Limit = 5 * 1024 * 1024;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");

        using var atLimit = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", Jpeg(Limit));
        using var overLimit = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", Jpeg(Limit + 1));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overLimit.StatusCode);
    }

    [Fact]
    public async Task A_browser_that_reaches_only_the_balancer_gets_the_picture_and_cannot_write_or_list_the_bucket()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var picture = RandomNumberGenerator.GetBytes(50_000);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(picture, 0);
        using var upload = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.jpg" } });
        using var redirect = await browser.GetAsync(cluster.Balancer, "/api/profile/picture");
        var location = redirect.Headers.Location!;
        using var http = new HttpClient();

        using var served = await http.GetAsync(location, ct);
        using var overwrite = await http.PutAsync(location, new ByteArrayContent([1, 2, 3]), ct);
        using var delete = await http.DeleteAsync(location, ct);
        using var unsigned = await http.GetAsync(new Uri(location.GetLeftPart(UriPartial.Path)), ct);
        using var listing = await http.GetAsync(new Uri(cluster.Balancer, "/uploads/?list-type=2"), ct);
        using var bucket = await http.GetAsync(new Uri(cluster.Balancer, "/uploads"), ct);
        using var listingSigned = await http.GetAsync(new Uri(cluster.Balancer, "/uploads/" + location.Query), ct);
        var afterwards = await http.GetByteArrayAsync(location, ct);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        // Minted for the balancer's address, not the S3 server's private one.
        Assert.Equal((cluster.Balancer.Host, cluster.Balancer.Port), (location.Host, location.Port));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(picture, await served.Content.ReadAsByteArrayAsync(ct));
        Assert.All(new[] { overwrite, delete, unsigned, listing, bucket, listingSigned }, r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Equal(picture, afterwards);
    }

    private static MultipartFormDataContent Jpeg(int size)
    {
        var picture = RandomNumberGenerator.GetBytes(size);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(picture, 0);
        return new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.jpg" } };
    }
}
