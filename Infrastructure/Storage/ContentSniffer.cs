namespace SecondServer.Infrastructure.Storage;

/// <summary>An image type recognised from its bytes.</summary>
internal sealed record ImageType(string ContentType, string Extension);

/// <summary>
/// Decides what a file is from its first bytes (its signature), never from its name or the type the client claims:
/// an executable or an HTML page named <c>avatar.png</c> stays what it is and is refused.
/// </summary>
internal static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="DetectImage"/> needs.</summary>
    public const int HeaderLength = 12;

    public static readonly ImageType Png = new("image/png", "png");
    public static readonly ImageType Jpeg = new("image/jpeg", "jpg");
    public static readonly ImageType Gif = new("image/gif", "gif");
    public static readonly ImageType WebP = new("image/webp", "webp");

    public static ImageType? DetectImage(ReadOnlySpan<byte> header) => header switch
    {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => Png,
        [0xFF, 0xD8, 0xFF, ..] => Jpeg,
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'7' or (byte)'9', (byte)'a', ..] => Gif,
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => WebP,
        _ => null,
    };
}
