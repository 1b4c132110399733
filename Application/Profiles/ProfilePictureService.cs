using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Profiles;

/// <summary>What became of an uploaded picture.</summary>
internal enum PictureOutcome
{
    Stored,
    UnsupportedType,
    AccountGone,
}

/// <summary>
/// Replaces a profile picture so that a failure at any step leaves the user with a working picture: the new
/// object is uploaded first, then the account row is switched to it, then the old object is deleted. A crash
/// between steps leaves at worst an object no account points at, which the orphan cleanup removes later.
/// </summary>
internal sealed class ProfilePictureService(ObjectStorage storage, AccountStore accounts, ProfileCache profiles, ILogger<ProfilePictureService> logger)
{
    public const string KeyPrefix = "avatars/";

    /// <summary>
    /// Decides the picture's type from its bytes (never from a name or a claimed type), stores it and switches the
    /// account to it. <paramref name="picture"/> must be seekable: its header is read, then the whole of it is sent.
    /// </summary>
    public async Task<(PictureOutcome Outcome, string? Key)> ReplaceAsync(long accountId, Stream picture, CancellationToken cancellationToken)
    {
        var header = new byte[ContentSniffer.HeaderLength];
        var read = await picture.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        picture.Position = 0;
        if (ContentSniffer.DetectImage(header.AsSpan(0, read)) is not { } type)
        {
            return (PictureOutcome.UnsupportedType, null);
        }

        var key = await StoreAndSwitchAsync(accountId, picture, type, cancellationToken);
        return key is null ? (PictureOutcome.AccountGone, null) : (PictureOutcome.Stored, key);
    }

    private async Task<string?> StoreAndSwitchAsync(long accountId, Stream picture, ImageType type, CancellationToken cancellationToken)
    {
        // Random and never reused: the client's file name reaches neither a key nor a path, and the object is immutable.
        var key = $"{KeyPrefix}{accountId.ToString(CultureInfo.InvariantCulture)}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{type.Extension}";
        await storage.PutAsync(key, picture, type.ContentType, ObjectStorage.ImmutableCacheControl, cancellationToken);

        // A switch that fails may still have changed the row (a cancelled call, or a commit whose acknowledgement
        // was lost), so the new object is never deleted here: the orphan cleanup removes it once no account points at it.
        var swap = await accounts.SwapPictureKeyAsync(accountId, key, cancellationToken);

        if (!swap.Found)
        {
            await DeleteQuietlyAsync(key, "the account no longer exists");
            return null;
        }

        await profiles.InvalidateAsync(accountId, cancellationToken);
        // A retried switch whose first commit landed finds this very key in place: nothing was replaced.
        if (swap.PreviousKey is not null && swap.PreviousKey != key)
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
