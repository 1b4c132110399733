using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using SecondServer.Application.Accounts;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Caching;

/// <summary>
/// The profile cache against the race cache-aside is known for: a read that missed the cache loads the row, a
/// rename commits and clears the cache, then the read stores what it loaded. The read's database replies go through
/// a <see cref="ReplyGate"/>, held until the rename is done, so that order is forced rather than hoped for.
/// </summary>
public sealed class ProfileCacheRaceTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;
    private ReplyGate _gate = null!;
    private TestHost _reader = null!;

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(2, 0, null, TestContext.Current.CancellationToken);
        var direct = new MySqlConnectionStringBuilder(_cluster.Database.ConnectionString);
        _gate = ReplyGate.To(direct.Server, (int)direct.Port);
        var gated = new MySqlConnectionStringBuilder(direct.ConnectionString) { Server = "127.0.0.1", Port = (uint)_gate.Port };
        _reader = await _cluster.StartWebAsync("web-3", TestContext.Current.CancellationToken, s => s["ConnectionStrings:appdb"] = gated.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        await _gate.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_read_that_loaded_the_row_before_a_rename_does_not_put_the_old_name_back_in_the_cache()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = $"Before {Guid.NewGuid():N}";
        var after = $"After {Guid.NewGuid():N}";
        var email = $"{Guid.NewGuid():N}@example.com";
        using var browser = new Browser();
        await browser.SignUpAndInAsync(_cluster.Web(1).Address, email, displayName: before);
        await using var connection = await _cluster.Database.Connections.OpenAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>("SELECT id FROM accounts WHERE email = @email", new { email });
        var readerCache = _reader.Services.GetRequiredService<ProfileCache>();
        // The read must miss: nothing of this account is cached when it starts.
        await _cluster.Web(1).Services.GetRequiredService<ProfileCache>().InvalidateAsync(id, ct);

        var held = _gate.HoldReplyContaining(before);
        var read = readerCache.GetAsync(id, ct);
        // The row was read (the database answered with the old name); the reader has not seen the answer yet.
        await held.WaitAsync(TimeSpan.FromSeconds(30), ct);
        using var rename = await browser.PutAsync(_cluster.Web(1).Address, "/api/profile", JsonContent.Create(new { displayName = after }));
        Assert.Equal(HttpStatusCode.OK, rename.StatusCode);
        _gate.Release();
        var readDuringTheRename = await read;

        Assert.Equal(before, readDuringTheRename!.DisplayName);
        Assert.Equal(after, (await readerCache.GetAsync(id, ct))!.DisplayName);
        using var me = await browser.GetAsync(_cluster.Web(2).Address, "/api/me");
        Assert.Equal(after, (await me.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("displayName").GetString());
    }
}
