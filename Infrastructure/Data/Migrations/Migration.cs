using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace SecondServer.Infrastructure.Data.Migrations;

/// <summary>One plain SQL file. Its id (the file name without <c>.sql</c>) orders it and names it in the record.</summary>
internal sealed record Migration(string Id, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

/// <summary>An assembly whose <c>Migrations/*.sql</c> files are embedded (see the project files).</summary>
internal sealed record MigrationSource(Assembly Assembly)
{
    private const string Prefix = "migrations/";

    public IEnumerable<Migration> Load()
    {
        foreach (var name in Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            using var stream = Assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            yield return new Migration(name[Prefix.Length..^".sql".Length], reader.ReadToEnd());
        }
    }
}

/// <summary>All migrations of the application, in the order they apply.</summary>
internal sealed class MigrationCatalog
{
    public static MigrationCatalog From(IEnumerable<MigrationSource> sources) => new(sources.Distinct().SelectMany(s => s.Load()));

    public MigrationCatalog(IEnumerable<Migration> migrations)
    {
        var all = migrations.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        var duplicate = all.GroupBy(m => m.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share the id '{duplicate.Key}'; every migration file name must be unique.");
        }

        Migrations = all;
    }

    public IReadOnlyList<Migration> Migrations { get; }
}
