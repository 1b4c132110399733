using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.Redis;
using StackExchange.Redis;

namespace SecondServer.Infrastructure.Sessions;

/// <summary>
/// Server-side sessions (rule 2): the cookie carries only an opaque random key; the authentication ticket lives in
/// Redis, so every replica sees the same session and a sign-out anywhere ends it everywhere, for a replayed cookie
/// too. A user's keys are also indexed per user, for "sign out everywhere".
/// </summary>
internal sealed class RedisTicketStore(RedisConnection redis, IDataProtectionProvider dataProtection, IOptions<SessionLifetimeOptions> options, TimeProvider time) : ITicketStore
{
    /// <summary>Ticket property holding the moment the session must end however active it is.</summary>
    public const string AbsoluteExpiryItem = ".absolute-expiry";

    private const string StoreScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[3])
        if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
        return 1
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

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        // A new key for every sign-in: a session key known before sign-in is worthless after it (no fixation).
        var key = Base64Url(RandomNumberGenerator.GetBytes(32));
        var database = redis.Database;
        var ttl = TimeToLive(ticket);
        await database.ScriptEvaluateAsync(StoreScript,
            [SessionKey(key), UserIndexKey(UserIdOf(ticket))],
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
        var value = await database.StringGetAsync(SessionKey(key));
        if (value.IsNull)
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect((byte[])value!));
        }
        catch (CryptographicException)
        {
            // Written under a key ring this replica cannot read: treat as signed out rather than fail the request.
            return null;
        }
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
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
