using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Infrastructure.Scheduling;

/// <summary>
/// The <c>schedule_runs</c> table as the application's one migrations history knows it: one row per slot per server
/// that handled it, with what it did. <see cref="ScheduleHistory"/> reads and writes it with Dapper.
/// </summary>
/// <remarks>
/// <see cref="ClaimedSlot"/> repeats the slot only on runs that executed under OnOneServer. NULLs never collide in a
/// unique index, so skips and every-server schedules keep one row per server, while a second execution of one slot is
/// refused here even if its Redis claim was lost (a flush, a failover): a durable second guard.
/// </remarks>
internal sealed class ScheduleRunRow
{
    public long Id { get; set; }

    public string Job { get; set; } = "";

    public DateTime Slot { get; set; }

    public string Instance { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string Status { get; set; } = "";

    public string? Error { get; set; }

    public DateTime? ClaimedSlot { get; set; }

    /// <summary>Who asked for a manual run ("run now"); null on the schedule's own slots and on older releases' rows.</summary>
    public string? RequestedBy { get; set; }
}

internal sealed class ScheduleRunRowConfiguration : IEntityTypeConfiguration<ScheduleRunRow>
{
    public void Configure(EntityTypeBuilder<ScheduleRunRow> table)
    {
        table.ToTable("schedule_runs").WithCharSet(TableDefaults.BinaryCollation);
        table.HasKey(r => r.Id);
        table.Property(r => r.Id).HasColumnName("id");
        table.Property(r => r.Job).HasColumnName("job").HasMaxLength(100);
        table.Property(r => r.Slot).HasColumnName("slot").HasColumnType("datetime(6)");
        table.Property(r => r.Instance).HasColumnName("instance").HasMaxLength(190);
        table.Property(r => r.StartedAt).HasColumnName("started_at").HasColumnType("datetime(6)");
        table.Property(r => r.FinishedAt).HasColumnName("finished_at").HasColumnType("datetime(6)");
        table.Property(r => r.Status).HasColumnName("status").HasMaxLength(32);
        table.Property(r => r.Error).HasColumnName("error").HasColumnType("text");
        table.Property(r => r.ClaimedSlot).HasColumnName("claimed_slot").HasColumnType("datetime(6)");
        table.Property(r => r.RequestedBy).HasColumnName("requested_by").HasMaxLength(190);
        table.HasIndex(r => new { r.Job, r.ClaimedSlot }).IsUnique().HasDatabaseName("ux_schedule_runs_claimed");
        table.HasIndex(r => new { r.Job, r.Slot }).HasDatabaseName("ix_schedule_runs_job_slot");
        table.HasIndex(r => r.Slot).HasDatabaseName("ix_schedule_runs_slot");
        // Each schedule's last failure, without reading its every run.
        table.HasIndex(r => new { r.Job, r.Status, r.Slot }).HasDatabaseName("ix_schedule_runs_job_status_slot");
    }
}
