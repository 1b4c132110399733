using System.Net;
using System.Security.Cryptography;
using Dapper;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// The S3 server stopped while a user works through the balancer: uploads answer 503 problem+json with Retry-After
/// and change nothing, everything that does not need S3 keeps working, pictures come back with the server, and no
/// account is left pointing at an object that is not there.
/// </summary>
[Collection("cluster")]
public sealed class StorageOutageTests(ClusterFixture cluster)
{
    [Fact]
    public async Task With_S3_stopped_uploads_are_503_problem_json_and_when_it_returns_every_picture_a_row_names_is_there()
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        using var browser = new Browser();
        await browser.SignUpAndInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var before = Png();
        using (var stored = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", Upload(before)))
        {
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        var user = await UserTraffic.SignInAsync(cluster.Balancer, $"{Guid.NewGuid():N}@example.com");
        var load = LoadGenerator.Start(user.Requests(reports: false), concurrency: 2, bound: TimeSpan.FromMinutes(4));
        var refused = new List<(int Status, string? ContentType, bool RetryAfter)>();
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(load.Succeeded), n => n >= 8, TimeSpan.FromSeconds(60), "the load to get going");
            await cluster.SupervisorAsync("stop", "servers:s3");

            // Long enough for the replicas' readiness to fail and HAProxy to act on it, whatever it does then.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    using var upload = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", Upload(Png()));
                    refused.Add(((int)upload.StatusCode, upload.Content.Headers.ContentType?.MediaType, upload.Headers.RetryAfter is not null));
                }
                catch (HttpRequestException ex)
                {
                    // The connection closed before an answer: what a user sees is no answer at all.
                    refused.Add((0, ex.GetBaseException().Message, false));
                }
            }
        }
        finally
        {
            await cluster.SupervisorAsync("start", "servers:s3");
        }

        // Back: the picture from before the outage is served whole (no refused upload touched it), and uploads work.
        var served = await Eventually.WaitAsync(() => PictureAsync(browser), p => p is not null, TimeSpan.FromSeconds(90), "the picture to be served once S3 is back");
        Assert.Equal(before, served);
        var after = Png();
        using (var upload = await browser.PutAsync(cluster.Balancer, "/api/profile/picture", Upload(after)))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        Assert.Equal(after, await PictureAsync(browser));
        await load.FinishAsync();
        await load.DisposeAsync();

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"uploads during the outage: {string.Join(", ", refused.GroupBy(r => r).Select(g => $"{g.Count()} x {g.Key.Status} {g.Key.ContentType} Retry-After={g.Key.RetryAfter}"))}; " +
            $"load: {load.Succeeded} answered, failures: {string.Join("; ", load.Failures.GroupBy(f => $"{f.Request} {f.Reason}").Select(g => $"{g.Count()} x {g.Key}"))}");
        await user.AssertStoredWholeAsync(cluster);
        await AssertEveryPictureARowNamesIsStoredAsync();

        // What users saw: only uploads refused, each as a 503 problem+json the client can act on.
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal((503, "application/problem+json", true), r));
        Assert.All(load.Failures, f => Assert.Equal((UserTraffic.Uploads, "503 Service Unavailable"), (f.Request, f.Reason)));
    }

    private async Task AssertEveryPictureARowNamesIsStoredAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        List<string> keys;
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            keys = [.. await connection.QueryAsync<string>(new CommandDefinition("SELECT picture_key FROM accounts WHERE picture_key IS NOT NULL", cancellationToken: ct))];
        }

        using var s3 = cluster.S3();
        var missing = new List<string>();
        foreach (var key in keys)
        {
            try
            {
                await s3.GetObjectMetadataAsync("uploads", key, ct);
            }
            catch (Amazon.S3.AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(key);
            }
        }

        Assert.NotEmpty(keys);
        Assert.Empty(missing);
    }

    // The picture's bytes, or null while the cluster cannot serve them yet.
    private async Task<byte[]?> PictureAsync(Browser browser)
    {
        using var redirect = await browser.GetAsync(cluster.Balancer, "/api/profile/picture");
        if (redirect.StatusCode != HttpStatusCode.Redirect)
        {
            return null;
        }

        using var http = new HttpClient();
        try
        {
            return await http.GetByteArrayAsync(redirect.Headers.Location, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static MultipartFormDataContent Upload(byte[] picture) => new() { { new ByteArrayContent(picture), "file", "me.png" } };

    private static byte[] Png()
    {
        var bytes = RandomNumberGenerator.GetBytes(8 * 1024);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        return bytes;
    }
}
