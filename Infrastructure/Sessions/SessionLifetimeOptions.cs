using System.ComponentModel.DataAnnotations;

namespace SecondServer.Infrastructure.Sessions;

/// <summary>Lifetime of a signed-in session, the same on every replica.</summary>
internal sealed class SessionLifetimeOptions
{
    public const string Section = "Sessions";

    /// <summary>A session unused for this long ends (sliding: every use pushes it further).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after sign-in however active it is.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromDays(7);
}
