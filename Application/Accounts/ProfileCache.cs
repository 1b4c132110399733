using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace SecondServer.Application.Accounts;

/// <summary>
/// Cache-aside for the profile every page and <c>GET /api/me</c> reads, in the shared cache so that a change made
/// through one replica is seen by all (an in-process cache would serve the old name on the other replica).
/// </summary>
internal sealed class ProfileCache(IDistributedCache cache, AccountStore accounts)
{
    // Absolute only: a sliding entry's expiry fields are read back, and the previous release wrote them
    // in another unit (see CacheRegistration). Every change invalidates the entry anyway.
    private static readonly DistributedCacheEntryOptions Lifetime = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };

    public async Task<Profile?> GetAsync(long accountId, CancellationToken cancellationToken)
    {
        var cached = await cache.GetAsync(Key(accountId), cancellationToken);
        if (cached is not null)
        {
            return JsonSerializer.Deserialize<Profile>(cached);
        }

        var account = await accounts.FindAsync(accountId, cancellationToken);
        if (account is null)
        {
            return null;
        }

        var profile = new Profile(account.Id, account.Email, account.DisplayName, account.PictureKey);
        await cache.SetAsync(Key(accountId), JsonSerializer.SerializeToUtf8Bytes(profile), Lifetime, cancellationToken);
        return profile;
    }

    /// <summary>Call after every change to the account's profile fields.</summary>
    public Task InvalidateAsync(long accountId, CancellationToken cancellationToken) => cache.RemoveAsync(Key(accountId), cancellationToken);

    private static string Key(long accountId) => $"profile:{accountId}";
}
