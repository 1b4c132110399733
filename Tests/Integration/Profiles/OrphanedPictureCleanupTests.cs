using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Application.Profiles;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Profiles;

/// <summary>Objects no account points at are removed once old enough; pictures in use and fresh uploads are kept.</summary>
public sealed class OrphanedPictureCleanupTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 0, o =>
    {
        o.Name = "cleanup";
        o.ConfigureWeb = b => b.Services.AddSingleton<TimeProvider>(_time);
    }, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Old_orphans_go_while_pictures_in_use_and_fresh_objects_stay()
    {
        var ct = TestContext.Current.CancellationToken;
        var storage = Web.Services.GetRequiredService<ObjectStorage>();
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "keep@example.com");
        using var upload = await browser.PutAsync(Web.Address, "/api/profile/picture",
            new MultipartFormDataContent { { new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4]), "file", "a.png" } });
        await using var connection = await _cluster.Database.Connections.OpenAsync(ct);
        var inUse = await connection.ExecuteScalarAsync<string>("SELECT picture_key FROM accounts WHERE email = 'keep@example.com'");
        await storage.PutAsync("avatars/999/orphan.png", new MemoryStream([1]), "image/png", null, ct);
        var cleanup = Web.Services.GetRequiredService<OrphanedPictureCleanup>();

        // Fresh, it may be an upload between its two steps: left alone.
        var whileFresh = await cleanup.RunAsync(ct);
        _time.Advance(TimeSpan.FromHours(2));
        var onceOld = await cleanup.RunAsync(ct);

        Assert.Empty(whileFresh);
        Assert.Equal(["avatars/999/orphan.png"], onceOld);
        Assert.True(await storage.ExistsAsync(inUse!, ct));
        Assert.False(await storage.ExistsAsync("avatars/999/orphan.png", ct));
    }
}
