using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.Reports;

/// <summary>
/// A row of <c>reports</c> (rule 4): a report's status lives here, not in the queue, so it survives restarts of Redis
/// and of the workers, and every replica answers the same. The object key is set when the CSV is in S3.
/// </summary>
internal sealed class ReportRow
{
    public Guid Id { get; set; }

    public string Status { get; set; } = "";

    public string? ObjectKey { get; set; }

    public string? Error { get; set; }

    public long? RequestedBy { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }
}

/// <summary>The values of <c>reports.status</c>.</summary>
internal static class ReportState
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

internal sealed class ReportRowConfiguration : IEntityTypeConfiguration<ReportRow>
{
    public void Configure(EntityTypeBuilder<ReportRow> table)
    {
        table.ToTable("reports").WithCharSet(TableDefaults.TextCollation);
        table.HasKey(r => r.Id);
        table.Property(r => r.Id).HasColumnName("id").HasColumnType("char(36)");
        table.Property(r => r.Status).HasColumnName("status").HasMaxLength(16);
        table.Property(r => r.ObjectKey).HasColumnName("object_key").HasMaxLength(300);
        table.Property(r => r.Error).HasColumnName("error").HasColumnType("text");
        table.Property(r => r.RequestedBy).HasColumnName("requested_by");
        table.Property(r => r.CreatedAt).HasColumnName("created_at").HasColumnType("datetime(6)");
        table.Property(r => r.StartedAt).HasColumnName("started_at").HasColumnType("datetime(6)");
        table.Property(r => r.FinishedAt).HasColumnName("finished_at").HasColumnType("datetime(6)");
        table.HasIndex(r => r.RequestedBy).HasDatabaseName("ix_reports_requested_by");
        table.HasOne<AccountRow>().WithMany().HasForeignKey(r => r.RequestedBy)
            .HasConstraintName("fk_reports_requested_by").OnDelete(DeleteBehavior.SetNull);
    }
}
