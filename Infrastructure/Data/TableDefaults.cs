using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SecondServer.Infrastructure.Data;

/// <summary>
/// Table options every mapped table states itself, as its SQL did (<c>ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=...</c>):
/// a table never depends on the database's defaults, which differ between servers and between how each was created.
/// </summary>
internal static class TableDefaults
{
    /// <summary>Byte-wise comparison: for keys, ids and machine text.</summary>
    public const string BinaryCollation = "utf8mb4_bin";

    /// <summary>Case- and accent-insensitive comparison: for what people type.</summary>
    public const string TextCollation = "utf8mb4_unicode_ci";

    /// <summary>
    /// No database-wide charset (that is the server's business, not a migration's) and no charset or collation
    /// repeated on columns: a column naming only <c>CHARACTER SET utf8mb4</c> would take that charset's default
    /// collation, not its table's. A <see cref="Guid"/> is CHAR(36) in its table's collation, not Pomelo's ascii one.
    /// </summary>
    public static ModelBuilder UseTableDefaults(this ModelBuilder model) =>
        model.HasCharSet((string?)null, DelegationModes.ApplyToAll).UseGuidCollation(string.Empty);

    public static EntityTypeBuilder<T> WithCharSet<T>(this EntityTypeBuilder<T> table, string collation)
        where T : class =>
        // Tables only: columns inherit the table's, as in the SQL, instead of repeating it on each.
        table.HasCharSet("utf8mb4", DelegationModes.ApplyToTables).UseCollation(collation, DelegationModes.ApplyToTables);
}
