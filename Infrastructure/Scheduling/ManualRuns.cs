using System.Globalization;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// The slots of "run now". The page that offers the button names a manual slot when it is drawn; the click carries
/// it, so every replica that receives the same click (a retry, a balancer resending it, a double submit) names the
/// same slot and races for the same claim as a scheduled slot would, and one run follows.
/// </summary>
/// <remarks>
/// A manual slot keeps its microseconds and never falls on a whole second, so it never shares a key or a history
/// claim with a cron slot (which always does) nor, in practice, with another click. It is accepted within the
/// scheduler's grace window, like a scheduled slot, so its Redis claim outlives every replica's try; the history's
/// unique (job, claimed_slot) index guards it durably as it guards scheduled slots.
/// </remarks>
internal static class ManualRuns
{
    /// <summary>A fresh manual slot: now, to the microsecond MySQL keeps, never on a whole second.</summary>
    public static DateTimeOffset NewSlot(TimeProvider time)
    {
        var now = time.GetUtcNow();
        var slot = now.AddTicks(-(now.Ticks % 10));
        return slot.Ticks % TimeSpan.TicksPerSecond == 0 ? slot.AddTicks(10) : slot;
    }

    /// <summary>How a form carries a manual slot: UTC to the microsecond, nothing a URL or HTML would escape.</summary>
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>The slot as a form carries it.</summary>
    public static string Write(DateTimeOffset slot) => slot.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a slot a form carried; false unless it is one <see cref="NewSlot"/> could have made (microseconds, never a
    /// cron slot's whole second).
    /// </summary>
    public static bool TryRead(string? text, out DateTimeOffset slot) =>
        DateTimeOffset.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out slot)
        && slot.Ticks % TimeSpan.TicksPerSecond != 0;

    /// <summary>
    /// Null when a click carrying <paramref name="slot"/> may still run at <paramref name="now"/>; otherwise why not.
    /// A form older than the grace window is refused: its claim may have expired, so it could run a second time.
    /// </summary>
    public static string? Refusal(DateTimeOffset slot, DateTimeOffset now, SchedulingOptions options) =>
        now - slot > options.GraceWindow
            ? $"The page was drawn {(int)(now - slot).TotalSeconds} s before the click, " +
              $"more than the {(int)options.GraceWindow.TotalSeconds} s a click stays valid; nothing ran. Click again on the fresh page."
            : slot - now > options.MaxClockSkew
                ? "The click names a moment ahead of this replica's clock by more than the tolerated skew; nothing ran."
                : null;
}
