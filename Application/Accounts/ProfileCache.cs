using System.Text.Json;
using SecondServer.Infrastructure.Caching;

namespace SecondServer.Application.Accounts;

/// <summary>
/// Cache-aside for the profile every page, <c>GET /api/me</c> and the picture redirect read, in the shared cache so
/// that a change made through one replica is seen by all (an in-process cache would serve the old name on the other
/// replica). A read that loaded the row before a concurrent change does not store it afterwards (see
/// <see cref="ConsistentCache"/>).
/// </summary>
internal sealed class ProfileCache(ConsistentCache cache, AccountStore accounts)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public async Task<Profile?> GetAsync(long accountId, CancellationToken cancellationToken)
    {
        var entry = await cache.GetOrLoadAsync(Key(accountId), async ct =>
        {
            var account = await accounts.FindAsync(accountId, ct);
            return account is null ? null : JsonSerializer.SerializeToUtf8Bytes(new Profile(account.Id, account.Email, account.DisplayName, account.PictureKey));
        }, Lifetime, cancellationToken);
        return entry is null ? null : JsonSerializer.Deserialize<Profile>(entry);
    }

    /// <summary>Call after every change to the account's profile fields.</summary>
    public Task InvalidateAsync(long accountId, CancellationToken cancellationToken) => cache.InvalidateAsync(Key(accountId), cancellationToken);

    /// <summary>The cache key of a user's profile; the ticket store reads it with the user's session (one round trip).</summary>
    internal static string KeyFor(string userId) => $"profile:{userId}";

    private static string Key(long accountId) => KeyFor(accountId.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
