using System.ComponentModel.DataAnnotations;

namespace SecondServer.Application.Profiles;

/// <summary>Limits and lifetimes of profile pictures.</summary>
internal sealed class ProfilePictureOptions
{
    public const string Section = "ProfilePictures";

    /// <summary>The largest accepted picture, enforced while the upload streams in.</summary>
    [Range(1, 100 * 1024 * 1024)]
    public long MaxBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>How long a presigned picture URL stays valid (without a CDN).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Objects under avatars/ that no account points at and are older than this are removed by the cleanup.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan OrphanAge { get; set; } = TimeSpan.FromHours(1);
}
