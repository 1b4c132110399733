using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Infrastructure.Queue;

/// <summary>
/// The <c>failed_jobs</c> table as the application's one migrations history knows it. Jobs that ran out of attempts
/// or could not be read: one row per job (a job that fails again after a retry replaces its row), the payload being
/// the envelope exactly as it was queued, so a retry puts back the same job. <see cref="FailedJobStore"/> reads and
/// writes it with Dapper.
/// </summary>
internal sealed class FailedJobRow
{
    public long Id { get; set; }

    public string JobId { get; set; } = "";

    public string Queue { get; set; } = "";

    public string JobType { get; set; } = "";

    public string Payload { get; set; } = "";

    public string Exception { get; set; } = "";

    public int Attempts { get; set; }

    public DateTime FailedAt { get; set; }

    public string FailedBy { get; set; } = "";
}

internal sealed class FailedJobRowConfiguration : IEntityTypeConfiguration<FailedJobRow>
{
    public void Configure(EntityTypeBuilder<FailedJobRow> table)
    {
        table.ToTable("failed_jobs").WithCharSet(TableDefaults.BinaryCollation);
        table.HasKey(j => j.Id);
        table.Property(j => j.Id).HasColumnName("id");
        table.Property(j => j.JobId).HasColumnName("job_id").HasMaxLength(64);
        table.Property(j => j.Queue).HasColumnName("queue").HasMaxLength(64);
        table.Property(j => j.JobType).HasColumnName("job_type").HasMaxLength(200);
        table.Property(j => j.Payload).HasColumnName("payload").HasColumnType("longtext");
        table.Property(j => j.Exception).HasColumnName("exception").HasColumnType("longtext");
        table.Property(j => j.Attempts).HasColumnName("attempts");
        table.Property(j => j.FailedAt).HasColumnName("failed_at").HasColumnType("datetime(6)");
        table.Property(j => j.FailedBy).HasColumnName("failed_by").HasMaxLength(190);
        table.HasIndex(j => j.JobId).IsUnique().HasDatabaseName("ux_failed_jobs_job_id");
        table.HasIndex(j => new { j.Queue, j.Id }).HasDatabaseName("ix_failed_jobs_queue_id");
    }
}
