using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecondServer.Application.Accounts;
using SecondServer.Infrastructure.Storage;

namespace SecondServer.Application.Profiles;

/// <summary>
/// Removes pictures no account points at, left by a crash between upload and switch or a failed delete. Only
/// objects older than <see cref="ProfilePictureOptions.OrphanAge"/> are touched, so an upload still between its
/// two steps is never taken for an orphan.
/// </summary>
internal sealed class OrphanedPictureCleanup(ObjectStorage storage, AccountStore accounts, IOptions<ProfilePictureOptions> options, TimeProvider time, ILogger<OrphanedPictureCleanup> logger)
{
    /// <summary>Deletes the orphans; returns their keys.</summary>
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.OrphanAge;
        var removed = new List<string>();
        await foreach (var item in storage.ListAsync(ProfilePictureService.KeyPrefix, cancellationToken))
        {
            if (item.LastModified < cutoff && !await accounts.IsPictureInUseAsync(item.Key, cancellationToken))
            {
                await storage.DeleteAsync(item.Key, cancellationToken);
                removed.Add(item.Key);
            }
        }

        if (removed.Count > 0)
        {
            logger.LogInformation("Removed {Count} orphaned pictures", removed.Count);
        }

        return removed;
    }
}
