using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SecondServer.Infrastructure.RateLimiting;

namespace SecondServer.Application.Accounts;

/// <summary>The outcome of a registration.</summary>
internal abstract record RegisterResult
{
    public sealed record Created(Account Account) : RegisterResult;

    /// <summary>One message per rejected field, keyed by the field's name as the API spells it.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string> Errors) : RegisterResult;

    public sealed record Taken : RegisterResult;
}

/// <summary>The outcome of a sign-in attempt.</summary>
internal abstract record LoginResult
{
    public sealed record Succeeded(Account Account) : LoginResult;

    /// <summary>One message per rejected field, keyed by the field's name as the API spells it.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string> Errors) : LoginResult;

    public sealed record InvalidCredentials : LoginResult;

    public sealed record Throttled(TimeSpan RetryAfter) : LoginResult;
}

/// <summary>The outcome of a password change.</summary>
internal abstract record ChangePasswordResult
{
    public sealed record Changed : ChangePasswordResult;

    /// <summary>One message per rejected field (a wrong current password included), keyed by the field's name as the API spells it.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string> Errors) : ChangePasswordResult;
}

/// <summary>The outcome of a display name change.</summary>
internal abstract record UpdateDisplayNameResult
{
    public sealed record Updated : UpdateDisplayNameResult;

    /// <summary>One message per rejected field, keyed by the field's name as the API spells it.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string> Errors) : UpdateDisplayNameResult;
}

/// <summary>Registration, sign-in checks and password changes.</summary>
internal sealed class AccountService(AccountStore store, ProfileCache profiles, RedisRateLimiter limiter, IOptions<LoginOptions> options)
{
    private static readonly PasswordHasher<Account> Hasher = new();

    // Verified against when the email is unknown, so both failures cost the same hash work (no account enumeration by timing).
    private static readonly Lazy<string> DecoyHash = new(() => Hasher.HashPassword(null!, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));

    /// <summary>Creates an account, unless a field breaks the <see cref="AccountRules"/> or the email is taken.</summary>
    public async Task<RegisterResult> RegisterAsync(string? email, string? password, string? displayName, CancellationToken cancellationToken)
    {
        if (Errors(("email", AccountRules.EmailError(email)), ("password", AccountRules.PasswordError(password)), ("displayName", AccountRules.DisplayNameError(displayName))) is { } errors)
        {
            return new RegisterResult.Invalid(errors);
        }

        var account = await store.CreateAsync(email!.Trim(), displayName!.Trim(), Hasher.HashPassword(null!, password!), cancellationToken);
        return account is null ? new RegisterResult.Taken() : new RegisterResult.Created(account);
    }

    /// <summary>
    /// Checks the limits, then the password. Only failures are counted, per account and client address (so an
    /// attacker elsewhere cannot lock a user out of their own sign-in) and per client address over all accounts.
    /// </summary>
    public async Task<LoginResult> LoginAsync(string? email, string? password, string clientAddress, CancellationToken cancellationToken)
    {
        if (Errors(("email", AccountRules.SignInEmailError(email)), ("password", AccountRules.SignInPasswordError(password))) is { } errors)
        {
            return new LoginResult.Invalid(errors);
        }

        var limits = options.Value;
        var pairKey = $"login:account:{AccountRules.Normalize(email!)}:{clientAddress}";
        var addressKey = $"login:address:{clientAddress}";
        foreach (var (key, limit) in new[] { (pairKey, limits.MaxFailuresPerAccountAndAddress), (addressKey, limits.MaxFailuresPerAddress) })
        {
            var decision = await limiter.CheckAsync(key, limit, cancellationToken);
            if (!decision.Allowed)
            {
                return new LoginResult.Throttled(decision.RetryAfter);
            }
        }

        var account = await store.FindByEmailAsync(email!, cancellationToken);
        var result = Hasher.VerifyHashedPassword(null!, account?.PasswordHash ?? DecoyHash.Value, password!);
        if (account is null || result == PasswordVerificationResult.Failed)
        {
            await limiter.CountAsync(pairKey, limits.FailureWindow, cancellationToken);
            await limiter.CountAsync(addressKey, limits.FailureWindow, cancellationToken);
            return new LoginResult.InvalidCredentials();
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await store.UpdatePasswordHashAsync(account.Id, Hasher.HashPassword(account, password!), cancellationToken);
        }

        await limiter.ResetAsync(pairKey, cancellationToken);
        return new LoginResult.Succeeded(account);
    }

    /// <summary>Verifies the current password and sets a new one that follows the <see cref="AccountRules"/>.</summary>
    public async Task<ChangePasswordResult> ChangePasswordAsync(long accountId, string? currentPassword, string? newPassword, CancellationToken cancellationToken)
    {
        if (Errors(("currentPassword", string.IsNullOrEmpty(currentPassword) ? "The current password is required." : null), ("newPassword", AccountRules.PasswordError(newPassword))) is { } errors)
        {
            return new ChangePasswordResult.Invalid(errors);
        }

        var account = await store.FindAsync(accountId, cancellationToken);
        if (account is null || Hasher.VerifyHashedPassword(account, account.PasswordHash, currentPassword!) == PasswordVerificationResult.Failed)
        {
            return new ChangePasswordResult.Invalid(new Dictionary<string, string> { ["currentPassword"] = "The current password is wrong." });
        }

        await store.UpdatePasswordHashAsync(accountId, Hasher.HashPassword(account, newPassword!), cancellationToken);
        return new ChangePasswordResult.Changed();
    }

    /// <summary>Sets a display name that follows the <see cref="AccountRules"/>, and drops the cached profile.</summary>
    public async Task<UpdateDisplayNameResult> UpdateDisplayNameAsync(long accountId, string? displayName, CancellationToken cancellationToken)
    {
        if (Errors(("displayName", AccountRules.DisplayNameError(displayName))) is { } errors)
        {
            return new UpdateDisplayNameResult.Invalid(errors);
        }

        await store.UpdateDisplayNameAsync(accountId, displayName!.Trim(), cancellationToken);
        await profiles.InvalidateAsync(accountId, cancellationToken);
        return new UpdateDisplayNameResult.Updated();
    }

    /// <summary>The failed checks by field, in the order given; null when every check passed.</summary>
    private static Dictionary<string, string>? Errors(params (string Field, string? Error)[] checks)
    {
        var errors = checks.Where(c => c.Error is not null).ToDictionary(c => c.Field, c => c.Error!);
        return errors.Count == 0 ? null : errors;
    }
}
