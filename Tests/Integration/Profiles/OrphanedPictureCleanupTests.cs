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
    private TestDatabase _database = null!;
    private TestHost _web = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _web = await TestHost.StartWebAsync("web-cleanup", TestHost.SharedSettings(_database.ConnectionString), b => b.Services.AddSingleton<TimeProvider>(_time));
        await _web.WaitUntilReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Old_orphans_go_while_pictures_in_use_and_fresh_objects_stay()
    {
        var ct = TestContext.Current.CancellationToken;
        var storage = _web.Services.GetRequiredService<ObjectStorage>();
        using var browser = new Browser();
        await browser.SignUpAndInAsync(_web.Address, "keep@example.com");
        using var upload = await browser.PutAsync(_web.Address, "/api/profile/picture",
            new MultipartFormDataContent { { new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4]), "file", "a.png" } });
        await using var connection = await _database.Connections.OpenAsync(ct);
        var inUse = await connection.ExecuteScalarAsync<string>("SELECT picture_key FROM accounts WHERE email = 'keep@example.com'");
        await storage.PutAsync("avatars/999/orphan.png", new MemoryStream([1]), "image/png", null, ct);
        var cleanup = _web.Services.GetRequiredService<OrphanedPictureCleanup>();

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
