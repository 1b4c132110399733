using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.QueueProbe;

/// <summary>
/// A row of <c>queue_probe_runs</c>: which worker ran which delivery of a probe, from when to when. Operators read it to
/// check the pipeline end to end; the process-level queue tests read it to see what a real Worker did.
/// </summary>
internal sealed class QueueProbeRunRow
{
    public long Id { get; set; }

    public string JobId { get; set; } = "";

    public string Label { get; set; } = "";

    public int Attempt { get; set; }

    public string Instance { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }
}

internal sealed class QueueProbeRunRowConfiguration : IEntityTypeConfiguration<QueueProbeRunRow>
{
    public void Configure(EntityTypeBuilder<QueueProbeRunRow> table)
    {
        table.ToTable("queue_probe_runs").WithCharSet(TableDefaults.BinaryCollation);
        table.HasKey(r => r.Id);
        table.Property(r => r.Id).HasColumnName("id");
        table.Property(r => r.JobId).HasColumnName("job_id").HasMaxLength(64);
        table.Property(r => r.Label).HasColumnName("label").HasMaxLength(100);
        table.Property(r => r.Attempt).HasColumnName("attempt");
        table.Property(r => r.Instance).HasColumnName("instance").HasMaxLength(190);
        table.Property(r => r.StartedAt).HasColumnName("started_at").HasColumnType("datetime(6)");
        table.Property(r => r.FinishedAt).HasColumnName("finished_at").HasColumnType("datetime(6)");
        table.HasIndex(r => r.Label).HasDatabaseName("ix_queue_probe_runs_label");
        table.HasIndex(r => r.JobId).HasDatabaseName("ix_queue_probe_runs_job_id");
    }
}
