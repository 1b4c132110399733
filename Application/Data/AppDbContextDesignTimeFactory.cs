using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SecondServer.Application.Data;

/// <summary>
/// What <c>dotnet ef migrations add</c> builds the model with: no server is contacted (a migration is C#, made from the
/// model alone), so neither a connection string nor a detected version is needed.
/// </summary>
internal sealed class AppDbContextDesignTimeFactory : IDesignTimeDbContextFactory<AppDbContext>
{
    public AppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AppDbContext>().UseMySql(new MySqlServerVersion(new Version(8, 4, 0))).Options);
}
