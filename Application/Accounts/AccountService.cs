using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.RateLimiting;

namespace SecondServer.Application.Accounts;

/// <summary>The outcome of a sign-in attempt.</summary>
internal abstract record LoginResult
{
    public sealed record Succeeded(Account Account) : LoginResult;

    public sealed record InvalidCredentials : LoginResult;

    public sealed record Throttled(TimeSpan RetryAfter) : LoginResult;
}

/// <summary>Registration, sign-in checks and password changes.</summary>
internal sealed class AccountService(AccountStore store, ProfileCache profiles, RedisRateLimiter limiter, IOptions<LoginOptions> options)
{
    private static readonly PasswordHasher<Account> Hasher = new();

    // Verified against when the email is unknown, so both failures cost the same hash work (no account enumeration by timing).
    private static readonly Lazy<string> DecoyHash = new(() => Hasher.HashPassword(null!, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));

    /// <summary>Creates an account; null when the email is taken.</summary>
    public Task<Account?> RegisterAsync(string email, string password, string displayName, CancellationToken cancellationToken) =>
        store.CreateAsync(email.Trim(), displayName.Trim(), Hasher.HashPassword(null!, password), cancellationToken);

    /// <summary>
    /// Checks the limits, then the password. Only failures are counted, per account and client address (so an
    /// attacker elsewhere cannot lock a user out of their own sign-in) and per client address over all accounts.
    /// </summary>
    public async Task<LoginResult> LoginAsync(string email, string password, string clientAddress, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var pairKey = $"login:account:{AccountRules.Normalize(email)}:{clientAddress}";
        var addressKey = $"login:address:{clientAddress}";
        foreach (var (key, limit) in new[] { (pairKey, limits.MaxFailuresPerAccountAndAddress), (addressKey, limits.MaxFailuresPerAddress) })
        {
            var decision = await limiter.CheckAsync(key, limit, cancellationToken);
            if (!decision.Allowed)
            {
                return new LoginResult.Throttled(decision.RetryAfter);
            }
        }

        var account = await store.FindByEmailAsync(email, cancellationToken);
        var result = Hasher.VerifyHashedPassword(null!, account?.PasswordHash ?? DecoyHash.Value, password);
        if (account is null || result == PasswordVerificationResult.Failed)
        {
            await limiter.CountAsync(pairKey, limits.FailureWindow, cancellationToken);
            await limiter.CountAsync(addressKey, limits.FailureWindow, cancellationToken);
            return new LoginResult.InvalidCredentials();
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await store.UpdatePasswordHashAsync(account.Id, Hasher.HashPassword(account, password), cancellationToken);
        }

        await limiter.ResetAsync(pairKey, cancellationToken);
        return new LoginResult.Succeeded(account);
    }

    /// <summary>Verifies the current password and sets a new one; false when the current one is wrong.</summary>
    public async Task<bool> ChangePasswordAsync(long accountId, string currentPassword, string newPassword, CancellationToken cancellationToken)
    {
        var account = await store.FindAsync(accountId, cancellationToken);
        if (account is null || Hasher.VerifyHashedPassword(account, account.PasswordHash, currentPassword) == PasswordVerificationResult.Failed)
        {
            return false;
        }

        await store.UpdatePasswordHashAsync(accountId, Hasher.HashPassword(account, newPassword), cancellationToken);
        return true;
    }

    public async Task UpdateDisplayNameAsync(long accountId, string displayName, CancellationToken cancellationToken)
    {
        await store.UpdateDisplayNameAsync(accountId, displayName.Trim(), cancellationToken);
        await profiles.InvalidateAsync(accountId, cancellationToken);
    }
}
