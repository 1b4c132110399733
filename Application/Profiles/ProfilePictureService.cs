using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Profiles;

/// <summary>
/// Replaces a profile picture so that a failure at any step leaves the user with a working picture: the new
/// object is uploaded first, then the account row is switched to it, then the old object is deleted. A crash
/// between steps leaves at worst an object no account points at, which the orphan cleanup removes later.
/// </summary>
internal sealed class ProfilePictureService(ObjectStorage storage, AccountStore accounts, ProfileCache profiles, ILogger<ProfilePictureService> logger)
{
    public const string KeyPrefix = "avatars/";

    /// <summary>Stores the picture (a seekable stream of a sniffed type) and switches the account to it; the new key, or null if the account is gone.</summary>
    public async Task<string?> ReplaceAsync(long accountId, Stream picture, ImageType type, CancellationToken cancellationToken)
    {
        // Random and never reused: the client's file name reaches neither a key nor a path, and the object is immutable.
        var key = $"{KeyPrefix}{accountId.ToString(CultureInfo.InvariantCulture)}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{type.Extension}";
        await storage.PutAsync(key, picture, type.ContentType, ObjectStorage.ImmutableCacheControl, cancellationToken);

        (bool Found, string? PreviousKey) swap;
        try
        {
            swap = await accounts.SwapPictureKeyAsync(accountId, key, cancellationToken);
        }
        catch
        {
            await DeleteQuietlyAsync(key, "the account row could not be switched to it");
            throw;
        }

        if (!swap.Found)
        {
            await DeleteQuietlyAsync(key, "the account no longer exists");
            return null;
        }

        await profiles.InvalidateAsync(accountId, cancellationToken);
        if (swap.PreviousKey is not null)
        {
            await DeleteQuietlyAsync(swap.PreviousKey, "it was replaced");
        }

        return key;
    }

    private async Task DeleteQuietlyAsync(string key, string reason)
    {
        try
        {
            await storage.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Nothing points at it: the orphan cleanup will remove it.
            logger.LogWarning("Could not delete picture {Key} ({Reason}): {Error}; the orphan cleanup will", key, reason, ex.Message);
        }
    }
}
