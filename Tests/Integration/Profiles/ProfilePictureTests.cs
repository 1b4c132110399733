using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Profiles;

/// <summary>Rule 3 with two replicas against the real S3 server: uploaded on one, served by all; refused by content, not by name.</summary>
public sealed class ProfilePictureTests : IAsyncLifetime
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private TestCluster _cluster = null!;

    private Uri A => _cluster.Web(1).Address;

    private Uri B => _cluster.Web(2).Address;

    public async ValueTask InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(
            2,
            0,
            o => o.Settings["ProfilePictures:MaxBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_picture_uploaded_through_one_replica_comes_back_byte_for_byte_through_the_other()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "pat@example.com");
        var picture = Png(300_000);

        using var upload = await browser.PutAsync(A, "/api/profile/picture", FileField(picture, "me.png"));
        using var redirect = await browser.GetAsync(B, "/api/profile/picture");
        using var fetched = await new HttpClient().GetAsync(redirect.Headers.Location, TestContext.Current.CancellationToken);
        using var me = await browser.GetAsync(B, "/api/me");

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("image/png", fetched.Content.Headers.ContentType?.MediaType);
        Assert.Equal(SHA256.HashData(picture), SHA256.HashData(await fetched.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)));
        Assert.StartsWith(
            "/api/profile/picture?v=",
            (await me.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("pictureUrl").GetString(),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("elf")]
    [InlineData("html")]
    public async Task A_forged_type_named_png_is_refused_by_its_content(string payload)
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, $"forger-{payload}@example.com");
        byte[] bytes = payload == "elf" ? [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0] : Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>");

        using var upload = await browser.PutAsync(A, "/api/profile/picture", FileField(bytes, "avatar.png", "image/png"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, upload.StatusCode);
        Assert.Equal("application/problem+json", upload.Content.Headers.ContentType?.MediaType);
        Assert.Null(await PictureKeyAsync($"forger-{payload}@example.com"));
    }

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_before_the_body_is_read_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "big@example.com");
        // Far more than the limit plus what loopback socket buffers can absorb before the server reads on.
        const int Total = 64 * 1024 * 1024;
        var boundary = $"ss{Guid.NewGuid():N}";

        // A raw HTTP/1.1 client: it streams a chunked 64 MB upload (no declared length to give it away) and reads
        // the answer while still sending, noting how much it had sent when the answer came.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(A.Host, A.Port, ct);
        var stream = tcp.GetStream();
        var head = $"PUT /api/profile/picture HTTP/1.1\r\nHost: {A.Authority}\r\nCookie: {browser.Cookies.GetCookieHeader(A)}\r\n" +
            $"X-XSRF-TOKEN: {browser.Cookie(A, "XSRF-TOKEN")}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        long sent = 0;
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = Task.Run(async () =>
        {
            var part = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n");
            var chunk = Png(64 * 1024);
            try
            {
                await WriteChunkAsync(stream, part, stopSending.Token);
                while (Interlocked.Read(ref sent) < Total)
                {
                    await WriteChunkAsync(stream, chunk, stopSending.Token);
                    Interlocked.Add(ref sent, chunk.Length);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server answered and stopped reading: the rest is not wanted.
            }
        }, ct);

        var statusLine = await ReadStatusLineAsync(stream).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var sentWhenAnswered = Interlocked.Read(ref sent);
        await stopSending.CancelAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Contains(" 413 ", statusLine, StringComparison.Ordinal);
        Assert.True(sentWhenAnswered < Total / 2, $"{sentWhenAnswered} of {Total} bytes were sent before the answer");
        // A declared length over the limit is refused before the body is read. The client waits for 100-continue, as a
        // careful one does: sending the body regardless can meet the connection the 413 closed (a broken pipe).
        browser.ExpectContinue = true;
        using var declared = await browser.PutAsync(A, "/api/profile/picture", FileField(Png(2 * 1024 * 1024), "declared.png"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Null(await PictureKeyAsync("big@example.com"));
    }

    private static async Task WriteChunkAsync(Stream stream, byte[] data, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), ct);
        await stream.WriteAsync(data, ct);
        await stream.WriteAsync("\r\n"u8.ToArray(), ct);
    }

    private static async Task<string> ReadStatusLineAsync(Stream stream)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != (byte)'\n')
        {
            line.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. line]);
    }

    [Fact]
    public async Task Empty_files_wrong_fields_and_non_multipart_bodies_are_400()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "odd@example.com");

        using var empty = await browser.PutAsync(A, "/api/profile/picture", FileField([], "empty.png"));
        using var wrongField = await browser.PutAsync(A, "/api/profile/picture", Multipart(new ByteArrayContent(Png(100)), "picture", "me.png"));
        using var notMultipart = await browser.PutAsync(A, "/api/profile/picture", new ByteArrayContent(Png(100)));

        foreach (var response in new[] { empty, wrongField, notMultipart })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task The_profile_pages_form_stores_a_picture_and_names_what_is_wrong_with_a_bad_one_next_to_the_field()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "form@example.com");

        // The page's form is parsed whole for its antiforgery token before the handler runs; the upload must still arrive.
        async Task<HttpResponseMessage> SubmitAsync(HttpContent? file)
        {
            var form = new MultipartFormDataContent { { new StringContent(await browser.FormTokenAsync(A, "/profile")), "__RequestVerificationToken" } };
            if (file is not null)
            {
                form.Add(file, "file", "me.png");
            }

            return await browser.PostAsync(A, "/profile?handler=Picture", form);
        }

        using var stored = await SubmitAsync(new ByteArrayContent(Png(2000)));
        using var shown = await browser.GetAsync(B, "/profile");
        var page = await shown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var forged = await (await SubmitAsync(new StringContent("#!/bin/sh\necho not a picture"))).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var oversized = await (await SubmitAsync(new ByteArrayContent(Png(1024 * 1024 + 1)))).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var missing = await (await SubmitAsync(null)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, stored.StatusCode);
        Assert.Contains("Your picture is saved.", page, StringComparison.Ordinal);
        Assert.Contains("src=\"/api/profile/picture?v=", page, StringComparison.Ordinal);
        Assert.Contains("<span id=\"picture-error\" class=\"error\">That file is not a PNG, JPEG, GIF or WebP image.</span>", forged, StringComparison.Ordinal);
        Assert.Contains("<span id=\"picture-error\" class=\"error\">The file is too large. The limit is 1 MB.</span>", oversized, StringComparison.Ordinal);
        Assert.Contains("<span id=\"picture-error\" class=\"error\">Choose a picture first.</span>", missing, StringComparison.Ordinal);
        Assert.NotNull(await PictureKeyAsync("form@example.com"));
    }

    [Fact]
    public async Task The_client_file_name_never_reaches_the_key()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "trav@example.com");

        using var upload = await browser.PutAsync(A, "/api/profile/picture", FileField(Png(1000), "../../../etc/passwd.png"));
        var key = await PictureKeyAsync("trav@example.com");

        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Matches("^avatars/[0-9]+/[0-9a-f]{32}\\.png$", key);
    }

    [Fact]
    public async Task Concurrent_replacements_leave_one_of_the_uploads_and_no_other_object()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "race@example.com");
        var pictures = Enumerable.Range(0, 6).Select(_ => Png(50_000)).ToList();

        var uploads = await Task.WhenAll(pictures.Select((p, i) => browser.PutAsync(i % 2 == 0 ? A : B, "/api/profile/picture", FileField(p, $"{i}.png"))));
        using var redirect = await browser.GetAsync(B, "/api/profile/picture");
        var final = await new HttpClient().GetByteArrayAsync(redirect.Headers.Location, TestContext.Current.CancellationToken);
        var stored = await ObjectKeysAsync("avatars/");

        Assert.All(uploads, u => Assert.Equal(HttpStatusCode.OK, u.StatusCode));
        Assert.Contains(pictures, p => p.AsSpan().SequenceEqual(final));
        Assert.Equal([(await PictureKeyAsync("race@example.com"))!], stored);
    }

    [Fact]
    public async Task With_S3_down_an_upload_is_503_and_changes_nothing_and_the_old_picture_works_once_S3_is_back()
    {
        await using var s3 = await ServerContainer.StartS3Async("pic-key", "pic-secret");
        await using var web = await _cluster.StartWebAsync(
            "web-s3-outage",
            TestContext.Current.CancellationToken,
            s => s["ConnectionStrings:uploads"] = $"Endpoint=http://127.0.0.1:{s3.Port};AccessKey=pic-key;SecretKey=pic-secret");
        using var browser = new Browser();
        await browser.SignUpAndInAsync(web.Address, "out@example.com");
        var original = Png(2000);
        using var first = await browser.PutAsync(web.Address, "/api/profile/picture", FileField(original, "a.png"));
        var keyBefore = await PictureKeyAsync("out@example.com");

        await s3.StopAsync();
        using var during = await browser.PutAsync(web.Address, "/api/profile/picture", FileField(Png(2000), "b.png"));
        await s3.StartAsync();
        using var redirect = await browser.GetAsync(web.Address, "/api/profile/picture");
        var after = await new HttpClient().GetByteArrayAsync(redirect.Headers.Location, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.Equal("S3 is unavailable.", (await during.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("title").GetString());
        Assert.Equal(keyBefore, await PictureKeyAsync("out@example.com"));
        Assert.Equal(original, after);
    }

    private async Task<string?> PictureKeyAsync(string email)
    {
        await using var connection = await _cluster.Database.Connections.OpenAsync(TestContext.Current.CancellationToken);
        return await connection.ExecuteScalarAsync<string?>("SELECT picture_key FROM accounts WHERE email = @email", new { email });
    }

    private async Task<List<string>> ObjectKeysAsync(string prefix)
    {
        var storage = (SecondServer.Infrastructure.Storage.ObjectStorage)_cluster.Web(1).Services.GetService(typeof(SecondServer.Infrastructure.Storage.ObjectStorage))!;
        var keys = new List<string>();
        await foreach (var item in storage.ListAsync(prefix, TestContext.Current.CancellationToken))
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    private static byte[] Png(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(Math.Max(size, PngSignature.Length));
        PngSignature.CopyTo(bytes, 0);
        return bytes;
    }

    private static MultipartFormDataContent FileField(byte[] bytes, string fileName, string contentType = "application/octet-stream") =>
        Multipart(new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue(contentType) } }, "file", fileName);

    private static MultipartFormDataContent Multipart(HttpContent file, string field, string fileName) => new() { { file, field, fileName } };
}
