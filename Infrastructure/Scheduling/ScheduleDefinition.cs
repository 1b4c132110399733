using System.Globalization;
using NCrontab;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>A checked schedule: its name, its cron expression in its time zone, its job and its guards.</summary>
internal sealed record ScheduleDefinition(
    string Name,
    string Expression,
    CrontabSchedule Cron,
    TimeZoneInfo TimeZone,
    Type JobType,
    bool OnOneServer,
    bool WithoutOverlapping)
{
    /// <summary>
    /// The first slot strictly after <paramref name="after"/>, in UTC. Slots come from the schedule alone, never from
    /// "now", so every server names the same slots whatever its clock reads.
    /// </summary>
    /// <remarks>
    /// Wall-clock schedules meet daylight saving time twice a year. A wall time that does not exist that night (02:30
    /// when clocks jump from 02:00 to 03:00) keeps the offset in force before the gap and so runs as late past the
    /// gap (03:30), as cron daemons do; a wall time that happens twice (clocks falling back) runs once, at its first
    /// pass. UTC, the default zone, has neither.
    /// </remarks>
    public DateTimeOffset NextSlotAfter(DateTimeOffset after)
    {
        var local = TimeZoneInfo.ConvertTime(after, TimeZone);
        var wall = Cron.GetNextOccurrence(local.DateTime);
        while (true)
        {
            var offset = TimeZone.IsInvalidTime(wall) ? local.Offset
                : TimeZone.IsAmbiguousTime(wall) ? TimeZone.GetAmbiguousTimeOffsets(wall).Max()
                : TimeZone.GetUtcOffset(wall);
            var slot = new DateTimeOffset(wall, offset);
            if (slot > after)
            {
                return slot.ToUniversalTime();
            }

            // Only a first pass already behind us (started during the repeated hour) lands here.
            wall = Cron.GetNextOccurrence(wall);
        }
    }

    /// <summary>
    /// The slot as it appears in Redis keys: UTC, date included, to the second. Cron slots fall on whole seconds;
    /// a manual slot never does (<see cref="ManualRuns"/>) and keeps its microseconds, so its key is its own.
    /// </summary>
    public static string SlotStamp(DateTimeOffset slot)
    {
        var utc = slot.UtcDateTime;
        return utc.Ticks % TimeSpan.TicksPerSecond == 0
            ? utc.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
            : utc.ToString("yyyyMMddHHmmss.ffffff", CultureInfo.InvariantCulture);
    }

    public override string ToString() =>
        $"{Name} [{Expression} {TimeZone.Id}{(OnOneServer ? ", on one server" : "")}{(WithoutOverlapping ? ", without overlapping" : "")}]";
}
