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

    private static MultipartFormDataContent Jpeg(int size)
    {
        var picture = RandomNumberGenerator.GetBytes(size);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(picture, 0);
        return new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.jpg" } };
    }
}
