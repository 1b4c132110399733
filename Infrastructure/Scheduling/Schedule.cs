using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NCrontab;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// The list of schedules, written in code so every server has the same one. Features add theirs with
/// <c>services.AddSchedule(s =&gt; s.Job&lt;GenerateReport&gt;().DailyAt("02:00").OnOneServer())</c>; the list is
/// checked when the host starts, and a mistake stops it with a message naming the schedule.
/// </summary>
internal sealed partial class Schedule
{
    private readonly List<ScheduledJob> _jobs = [];

    /// <summary>Adds a schedule that runs <typeparamref name="TJob"/>, named after the type until <see cref="ScheduledJob.Named"/>.</summary>
    public ScheduledJob Job<TJob>()
        where TJob : class, IScheduledJob
    {
        var job = new ScheduledJob(typeof(TJob));
        _jobs.Add(job);
        return job;
    }

    /// <summary>Every mistake in the list, one sentence each; empty when the list is sound.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = _jobs.Select(j => j.Problem()).OfType<string>().ToList();
        problems.AddRange(_jobs.GroupBy(j => j.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g =>
            $"{g.Count()} schedules are named '{g.Key}' ({string.Join(", ", g.Select(j => j.JobType.Name))}); " +
            "the name keys the slot claims, the lease and the history, so give each its own with Named(...)."));
        return problems;
    }

    /// <summary>The checked schedules; call only when <see cref="Problems"/> is empty.</summary>
    public IReadOnlyList<ScheduleDefinition> Definitions() => [.. _jobs.Select(j => j.Build())];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex NamePattern();

    /// <summary>One schedule being described: what runs, when, and how it is guarded across servers.</summary>
    internal sealed class ScheduledJob
    {
        private static readonly CrontabSchedule.ParseOptions WithSeconds = new() { IncludingSeconds = true };
        private string? _mistake;
        private string? _frequency;

        internal ScheduledJob(Type jobType)
        {
            JobType = jobType;
            Name = DefaultName(jobType.Name);
        }

        internal Type JobType { get; }

        internal string Name { get; private set; }

        /// <summary>The six-field cron expression (seconds first) the frequency methods produced.</summary>
        internal string? Expression { get; private set; }

        internal TimeZoneInfo TimeZone { get; private set; } = TimeZoneInfo.Utc;

        internal bool RunsOnOneServer { get; private set; }

        internal bool PreventsOverlap { get; private set; }

        /// <summary>Names the schedule (letters, digits, '.', '_', '-'; at most 100).</summary>
        public ScheduledJob Named(string name)
        {
            Name = name;
            return this;
        }

        /// <summary>
        /// A cron expression: five fields (minute hour day-of-month month day-of-week) or six with seconds first.
        /// The last frequency given wins.
        /// </summary>
        public ScheduledJob Cron(string expression)
        {
            var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return fields.Length switch
            {
                5 => Frequency($"Cron(\"{expression}\")", "0 " + string.Join(' ', fields)),
                6 => Frequency($"Cron(\"{expression}\")", string.Join(' ', fields)),
                _ => Frequency($"Cron(\"{expression}\")", null)
                    .Mistake($"has {fields.Length} fields; expected 5 (minute hour day month weekday) or 6 (second first)"),
            };
        }

        /// <summary>Every <paramref name="seconds"/> seconds, at whole multiples of it within the minute.</summary>
        public ScheduledJob EverySeconds(int seconds) =>
            seconds is >= 1 and < 60 && 60 % seconds == 0
                ? Frequency($"EverySeconds({seconds})", seconds == 1 ? "* * * * * *" : $"*/{seconds} * * * * *")
                : Frequency($"EverySeconds({seconds})", null).Mistake("needs a divisor of 60 below 60, so every minute has the same gaps");

        /// <summary>At second 0 of every minute.</summary>
        public ScheduledJob EveryMinute() => Frequency("EveryMinute()", "0 * * * * *");

        /// <summary>Every <paramref name="minutes"/> minutes, at whole multiples of it within the hour.</summary>
        public ScheduledJob EveryMinutes(int minutes) =>
            minutes is >= 1 and < 60 && 60 % minutes == 0
                ? Frequency($"EveryMinutes({minutes})", $"0 */{minutes} * * * *")
                : Frequency($"EveryMinutes({minutes})", null).Mistake("needs a divisor of 60 below 60, so every hour has the same gaps");

        /// <summary>At the top of every hour.</summary>
        public ScheduledJob Hourly() => Frequency("Hourly()", "0 0 * * * *");

        /// <summary>Every day at <paramref name="time"/>, <c>HH:mm</c> or <c>HH:mm:ss</c> (24 h) in the schedule's time zone.</summary>
        public ScheduledJob DailyAt(string time) =>
            TimeOnly.TryParseExact(time, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                ? Frequency($"DailyAt(\"{time}\")", $"{at.Second} {at.Minute} {at.Hour} * * *")
                : Frequency($"DailyAt(\"{time}\")", null).Mistake("needs a 24-hour time, HH:mm or HH:mm:ss");

        /// <summary>The zone the frequency is read in (UTC unless given). Give it explicitly: servers' local zones may differ.</summary>
        public ScheduledJob InTimeZone(TimeZoneInfo zone)
        {
            TimeZone = zone;
            return this;
        }

        /// <summary>Each slot runs on one server only: the first to claim it in Redis.</summary>
        public ScheduledJob OnOneServer()
        {
            RunsOnOneServer = true;
            return this;
        }

        /// <summary>A slot is skipped while the previous run still holds the schedule's lease, on any server.</summary>
        public ScheduledJob WithoutOverlapping()
        {
            PreventsOverlap = true;
            return this;
        }

        internal string? Problem()
        {
            if (!NamePattern().IsMatch(Name))
            {
                return $"Schedule '{Name}' ({JobType.Name}): the name must be 1 to 100 letters, digits, '.', '_' or '-'.";
            }

            if (_mistake is not null)
            {
                return $"Schedule '{Name}' ({JobType.Name}): {_frequency} {_mistake}.";
            }

            if (Expression is null)
            {
                return $"Schedule '{Name}' ({JobType.Name}) has no frequency; give one (EverySeconds, EveryMinute, Hourly, DailyAt, Cron...).";
            }

            try
            {
                var cron = CrontabSchedule.Parse(Expression, WithSeconds);
                var from = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
                var until = from.AddYears(30);
                return cron.GetNextOccurrence(from, until) == until
                    ? $"Schedule '{Name}' ({JobType.Name}): {_frequency} never matches a date."
                    : null;
            }
            catch (CrontabException ex)
            {
                return $"Schedule '{Name}' ({JobType.Name}): {_frequency} is not a valid cron expression ({ex.Message.ReplaceLineEndings(" ")}).";
            }
        }

        internal ScheduleDefinition Build() =>
            new(Name, Expression!, CrontabSchedule.Parse(Expression!, WithSeconds), TimeZone, JobType, RunsOnOneServer, PreventsOverlap);

        // GenerateReportJob -> generate-report: the type's name without the suffix, in the style of Redis keys.
        private static string DefaultName(string typeName)
        {
            var name = typeName.EndsWith("Job", StringComparison.Ordinal) && typeName.Length > 3 ? typeName[..^3] : typeName;
            var kebab = new StringBuilder(name.Length + 8);
            foreach (var c in name)
            {
                if (char.IsUpper(c) && kebab.Length > 0)
                {
                    kebab.Append('-');
                }

                kebab.Append(char.ToLowerInvariant(c));
            }

            return kebab.ToString();
        }

        private ScheduledJob Frequency(string call, string? expression)
        {
            _frequency = call;
            Expression = expression;
            _mistake = null;
            return this;
        }

        private ScheduledJob Mistake(string what)
        {
            _mistake = what;
            return this;
        }
    }
}
