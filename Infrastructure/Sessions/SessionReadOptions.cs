namespace SecondServer.Infrastructure.Sessions;

/// <summary>
/// Shared-cache entries that nearly every request of a signed-in user reads (the profile, for one): the ticket store
/// reads them in the same Redis round trip as the session, so an authenticated read costs one round trip, not two.
/// Session keys carry the user id for this (the cookie that holds them is encrypted).
/// </summary>
internal sealed class SessionReadOptions
{
    /// <summary>For a user id, the <see cref="Caching.ConsistentCache"/> key to read with the session.</summary>
    public IList<Func<string, string>> CacheKeysPerUser { get; } = [];
}
