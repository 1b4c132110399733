using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Caching;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Sessions;

/// <summary>
/// Server-side sessions (rule 2): the cookie carries only an opaque random key; the authentication ticket lives in
/// Redis, so every replica sees the same session and a sign-out anywhere ends it everywhere, for a replayed cookie
/// too. A user's keys are also indexed per user, for "sign out everywhere". A key is "user id.random": knowing the
/// user before the ticket is read lets the read fetch the user's cached profile in the same round trip.
/// </summary>
internal sealed class RedisTicketStore(RedisConnection redis, IDataProtectionProvider dataProtection, IOptions<SessionLifetimeOptions> options,
    IOptions<SessionReadOptions> reads, TimeProvider time) : ITicketStore
{
    private const string UserSeparator = ".";

    /// <summary>Tickets decrypted lately, by session key; beyond this many the memo starts afresh.</summary>
    private const int DecryptedCapacity = 10_000;

    /// <summary>Ticket property holding the moment the session must end however active it is.</summary>
    public const string AbsoluteExpiryItem = ".absolute-expiry";

    private const string StoreScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[3])
        if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
        return 1
        """;

    // KEYS: the session, then cache entries. The entries are read only for a live session.
    private const string ReadScript = """
        local ticket = redis.call('GET', KEYS[1])
        if not ticket then return {false} end
        local reply = {ticket}
        for i = 2, #KEYS do reply[i] = redis.call('HGET', KEYS[i], 'data') end
        return reply
        """;

    private const string RemoveAllScript = """
        local keys = redis.call('SMEMBERS', KEYS[1])
        local removed = 0
        for _, key in ipairs(keys) do
            if key ~= ARGV[2] then
                removed = removed + redis.call('DEL', ARGV[1] .. key)
                redis.call('SREM', KEYS[1], key)
            end
        end
        return removed
        """;

    // Tickets are protected at rest: a Redis dump does not disclose who is signed in with which claims.
    private readonly IDataProtector _protector = dataProtection.CreateProtector("SecondServer.Sessions.Ticket.v1");

    // Decrypting a ticket is the dearest step of an authenticated request. Redis is still read on every request (a
    // session ended anywhere ends here at once); only when it holds the very bytes decrypted before is that work
    // skipped. Equal ciphertext under authenticated encryption means equal plaintext.
    private readonly ConcurrentDictionary<string, (byte[] Protected, AuthenticationTicket Ticket)> _decrypted = new(StringComparer.Ordinal);

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        // A new key for every sign-in: a session key known before sign-in is worthless after it (no fixation).
        var userId = UserIdOf(ticket);
        var random = Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = userId.Contains(UserSeparator, StringComparison.Ordinal) ? random : userId + UserSeparator + random;
        var database = redis.Database;
        var ttl = TimeToLive(ticket);
        await database.ScriptEvaluateAsync(StoreScript,
            [SessionKey(key), UserIndexKey(userId)],
            [Serialize(ticket), (long)ttl.TotalMilliseconds, key, (long)options.Value.AbsoluteTimeout.TotalMilliseconds]);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        // Only an existing session is renewed: one ended elsewhere in the meantime must stay ended.
        await database.StringSetAsync(SessionKey(key), Serialize(ticket), TimeToLive(ticket), When.Exists);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        return Decrypt(key, (byte[]?)await database.StringGetAsync(SessionKey(key)));
    }

    /// <summary>The cookie handler's read: the session and, in the same round trip, the user's cache entries.</summary>
    public async Task<AuthenticationTicket?> RetrieveAsync(string key, HttpContext httpContext, CancellationToken cancellationToken)
    {
        var separator = key.IndexOf(UserSeparator, StringComparison.Ordinal);
        if (separator <= 0 || reads.Value.CacheKeysPerUser.Count == 0)
        {
            return await RetrieveAsync(key, cancellationToken);
        }

        var userId = key[..separator];
        var entries = reads.Value.CacheKeysPerUser.Select(keyOf => keyOf(userId)).ToArray();
        RedisKey[] keys = [SessionKey(key), .. entries.Select(ConsistentCache.EntryKey)];
        var reply = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(ReadScript, keys))!;
        var ticket = Decrypt(key, (byte[]?)reply[0]);
        if (ticket is not null)
        {
            var prefetched = PrefetchedEntries.Of(httpContext);
            for (var i = 0; i < entries.Length; i++)
            {
                prefetched.Add(entries[i], (byte[]?)reply[i + 1]);
            }
        }

        return ticket;
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        _decrypted.TryRemove(key, out _);
        var database = redis.Database;
        await database.KeyDeleteAsync(SessionKey(key));
    }

    /// <summary>Ends every session of a user except <paramref name="exceptKey"/>; returns how many ended.</summary>
    public async Task<long> RemoveAllForUserAsync(string userId, string? exceptKey, CancellationToken cancellationToken)
    {
        var database = redis.Database;
        // The session keys are built in Lua from the members, so the app's key prefix is passed along explicitly.
        return (long)await database.ScriptEvaluateAsync(RemoveAllScript, [UserIndexKey(userId)], [redis.KeyPrefix + "session:", exceptKey ?? ""]);
    }

    private AuthenticationTicket? Decrypt(string key, byte[]? value)
    {
        if (value is null)
        {
            _decrypted.TryRemove(key, out _);
            return null;
        }

        if (!_decrypted.TryGetValue(key, out var known) || !known.Protected.AsSpan().SequenceEqual(value))
        {
            try
            {
                known = (value, TicketSerializer.Default.Deserialize(_protector.Unprotect(value))!);
            }
            catch (CryptographicException)
            {
                // Written under a key ring this replica cannot read: treat as signed out rather than fail the request.
                return null;
            }

            if (_decrypted.Count >= DecryptedCapacity)
            {
                _decrypted.Clear();
            }

            _decrypted[key] = known;
        }

        // The handler may change what it gets (a sliding renewal sets new dates): it gets a copy.
        return new AuthenticationTicket(known.Ticket.Principal.Clone(), known.Ticket.Properties.Clone(), known.Ticket.AuthenticationScheme);
    }

    private static string SessionKey(string key) => $"session:{key}";

    private static string UserIndexKey(string userId) => $"user-sessions:{userId}";

    private static string UserIdOf(AuthenticationTicket ticket) =>
        ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("A session needs a NameIdentifier claim.");

    private byte[] Serialize(AuthenticationTicket ticket) => _protector.Protect(TicketSerializer.Default.Serialize(ticket));

    private TimeSpan TimeToLive(AuthenticationTicket ticket)
    {
        var now = time.GetUtcNow();
        var idle = (ticket.Properties.ExpiresUtc ?? now + options.Value.IdleTimeout) - now;
        var absolute = AbsoluteExpiryOf(ticket.Properties) is { } end ? end - now : idle;
        var ttl = idle < absolute ? idle : absolute;
        return ttl > TimeSpan.FromSeconds(1) ? ttl : TimeSpan.FromSeconds(1);
    }

    public static DateTimeOffset? AbsoluteExpiryOf(AuthenticationProperties properties) =>
        properties.Items.TryGetValue(AbsoluteExpiryItem, out var value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var end)
            ? end
            : null;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
