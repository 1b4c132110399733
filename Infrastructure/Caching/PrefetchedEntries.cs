using Microsoft.AspNetCore.Http;

namespace SecondServer.Infrastructure.Caching;

/// <summary>
/// Shared-cache entries a request read ahead of need, in the same Redis round trip as its session (see
/// <see cref="Sessions.SessionReadOptions"/>): <see cref="ConsistentCache"/> answers them without asking Redis again.
/// They live as long as the request; an invalidation through the cache drops them, so a request that changes what it
/// read first reads the change, not its own snapshot.
/// </summary>
internal sealed class PrefetchedEntries
{
    private readonly Dictionary<string, byte[]?> _entries = new(StringComparer.Ordinal);

    /// <summary>The entries of the current request, created on first use.</summary>
    public static PrefetchedEntries Of(HttpContext context)
    {
        if (context.Features.Get<PrefetchedEntries>() is { } existing)
        {
            return existing;
        }

        var created = new PrefetchedEntries();
        context.Features.Set(created);
        return created;
    }

    /// <summary>Records what Redis held for <paramref name="key"/>: its data, or null for no entry.</summary>
    public void Add(string key, byte[]? data) => _entries[key] = data;

    /// <summary>True when <paramref name="key"/> was read ahead; <paramref name="data"/> is then null for a known miss.</summary>
    public bool TryGet(string key, out byte[]? data) => _entries.TryGetValue(key, out data);

    public void Remove(string key) => _entries.Remove(key);
}
