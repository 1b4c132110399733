using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecondServer.Infrastructure.Data;

namespace SecondServer.Application.Accounts;

/// <summary>A row of <c>accounts</c> (rule 2: one source of truth). Emails are stored as typed and normalized for uniqueness.</summary>
internal sealed class AccountRow
{
    public long Id { get; set; }

    public string Email { get; set; } = "";

    public string EmailNormalized { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string PasswordHash { get; set; } = "";

    public string? PictureKey { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}

internal sealed class AccountRowConfiguration : IEntityTypeConfiguration<AccountRow>
{
    /// <summary>The unique index that decides between two registrations of one email, whichever replica takes them.</summary>
    public const string EmailIndex = "ux_accounts_email";

    public void Configure(EntityTypeBuilder<AccountRow> table)
    {
        table.ToTable("accounts").WithCharSet(TableDefaults.TextCollation);
        table.HasKey(a => a.Id);
        table.Property(a => a.Id).HasColumnName("id");
        table.Property(a => a.Email).HasColumnName("email").HasMaxLength(254);
        table.Property(a => a.EmailNormalized).HasColumnName("email_normalized").HasMaxLength(254);
        table.Property(a => a.DisplayName).HasColumnName("display_name").HasMaxLength(100);
        table.Property(a => a.PasswordHash).HasColumnName("password_hash").HasMaxLength(400);
        table.Property(a => a.PictureKey).HasColumnName("picture_key").HasMaxLength(300);
        table.Property(a => a.CreatedAt).HasColumnName("created_at").HasColumnType("datetime(6)");
        table.Property(a => a.UpdatedAt).HasColumnName("updated_at").HasColumnType("datetime(6)");
        table.HasIndex(a => a.EmailNormalized).IsUnique().HasDatabaseName(EmailIndex);
    }
}
