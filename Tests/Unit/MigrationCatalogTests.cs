using SecondServer.Infrastructure.Data.Migrations;

namespace SecondServer.Tests.Unit;

public sealed class MigrationCatalogTests
{
    [Fact]
    public void Migrations_apply_in_ordinal_order_of_their_ids()
    {
        var catalog = new MigrationCatalog([new Migration("0010_b", "x"), new Migration("0002_a", "y"), new Migration("0010_a", "z")]);

        Assert.Equal(["0002_a", "0010_a", "0010_b"], catalog.Migrations.Select(m => m.Id));
    }

    [Fact]
    public void Two_migrations_with_one_id_are_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MigrationCatalog([new Migration("0001_a", "x"), new Migration("0001_a", "y")]));

        Assert.Contains("0001_a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checksum_ignores_line_ending_style_but_not_content()
    {
        Assert.Equal(new Migration("a", "SELECT 1;\r\nSELECT 2;").Checksum, new Migration("a", "SELECT 1;\nSELECT 2;").Checksum);
        Assert.NotEqual(new Migration("a", "SELECT 1;").Checksum, new Migration("a", "SELECT 2;").Checksum);
    }
}
