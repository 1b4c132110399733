using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Playwright;
using SecondServer.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SecondServer.Tests.EndToEnd;

/// <summary>Rules 2 and 3 in a real browser: an account made, signed in and a picture uploaded on web-1's pages, seen on web-2's.</summary>
[Collection("cluster")]
public sealed class ProfilePageTests(ClusterFixture cluster, ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const int PictureWidth = 24;
    private const int PictureHeight = 16;

    [Fact]
    public Task A_picture_uploaded_on_web_1s_profile_page_shows_on_web_2s_profile_page() => chromium.RunAsync(async page =>
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var servedBy = page.Locator("[data-served-by]");
        var picture = page.GetByRole(AriaRole.Img, new() { Name = "Your profile picture" });

        await page.GotoAsync(new Uri(cluster.Replica(1), "/register").ToString());
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Display name").FillAsync("Browser Tester");
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();

        // Registering signs in and lands on the profile, still on web-1; signing out and in again goes through the
        // sign-in page, the way a returning user comes.
        await Expect(page).ToHaveURLAsync(new Uri(cluster.Replica(1), "/profile").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(cluster.Replica(1), "/login").ToString());
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Uri(cluster.Replica(1), "/profile").ToString());
        await Expect(page.GetByText(email)).ToBeVisibleAsync();
        await Expect(picture).ToBeHiddenAsync();

        await page.GetByLabel("Choose a picture").SetInputFilesAsync(new FilePayload { Name = "me.png", MimeType = "image/png", Buffer = Png(PictureWidth, PictureHeight) });
        // The preview (the page's script, a blob: image) shows before the upload.
        await Expect(picture).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your picture is saved.");
        await Expect(servedBy).ToHaveAttributeAsync("data-served-by", "web-1");

        await page.GotoAsync(new Uri(cluster.Replica(2), "/profile").ToString());

        // Same cookie jar, other replica: the session, the profile and the stored picture must all be shared.
        await Expect(page).ToHaveURLAsync(new Uri(cluster.Replica(2), "/profile").ToString());
        await Expect(servedBy).ToHaveAttributeAsync("data-served-by", "web-2");
        await Expect(page.GetByText(email)).ToBeVisibleAsync();
        await Expect(picture).ToBeVisibleAsync();
        // Visible is not loaded: a broken image has a box too. Decoded, it has the uploaded picture's size.
        var size = await picture.EvaluateAsync<int[]>(
            """
            img => img.complete
                ? [img.naturalWidth, img.naturalHeight]
                : new Promise(done => { img.onload = img.onerror = () => done([img.naturalWidth, img.naturalHeight]); })
            """);
        Assert.Equal([PictureWidth, PictureHeight], size);
    });

    /// <summary>A valid RGB PNG with a gradient, so the browser has to decode every row to show it.</summary>
    private static byte[] Png(int width, int height)
    {
        var stride = 1 + (width * 3);
        var pixels = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            // Each row starts with its filter type; 0 means the bytes are the pixels as they are.
            for (var x = 0; x < width; x++)
            {
                var at = (y * stride) + 1 + (x * 3);
                pixels[at] = (byte)(255 * x / (width - 1));
                pixels[at + 1] = (byte)(255 * y / (height - 1));
                pixels[at + 2] = 160;
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(pixels);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // colour type RGB; compression, filter and interlace methods stay 0

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(MemoryStream png, string type, byte[] data)
    {
        var typeBytes = Encoding.ASCII.GetBytes(type);
        var number = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeBytes, data));
        png.Write(number);
    }

    /// <summary>The CRC-32 a PNG chunk ends with, over its type and data.</summary>
    private static uint Crc32(byte[] first, byte[] second)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in first.Concat(second))
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
