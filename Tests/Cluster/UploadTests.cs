using System.Net;
using System.Security.Cryptography;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>Rule 3 on the running cluster: uploaded through web-1, the same bytes come back through web-2.</summary>
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
}
