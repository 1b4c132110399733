using System.Net.Mail;

namespace SecondServer.Application.Accounts;

/// <summary>What makes an email, password or display name acceptable, and how emails compare.</summary>
internal static class AccountRules
{
    public const int MaxEmailLength = 254;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;
    public const int MaxDisplayNameLength = 100;

    /// <summary>Emails compare case-insensitively and without surrounding blanks.</summary>
    public static string Normalize(string email) => email.Trim().ToUpperInvariant();

    public static string? EmailError(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return "Email is required.";
        }

        if (email.Trim().Length > MaxEmailLength)
        {
            return $"Email must be at most {MaxEmailLength} characters.";
        }

        return MailAddress.TryCreate(email.Trim(), out var parsed) && parsed.Address == email.Trim() && parsed.Host.Contains('.', StringComparison.Ordinal)
            ? null
            : "Email is not a valid address.";
    }

    public static string? PasswordError(string? password) => password switch
    {
        null or "" => "Password is required.",
        { Length: < MinPasswordLength } => $"Password must be at least {MinPasswordLength} characters.",
        { Length: > MaxPasswordLength } => $"Password must be at most {MaxPasswordLength} characters.",
        _ => null,
    };

    /// <summary>
    /// Sign-in checks only presence and size: a malformed email is just a failed sign-in, and a password set under
    /// other length rules must still reach the hash comparison.
    /// </summary>
    public static string? SignInEmailError(string? email) =>
        string.IsNullOrWhiteSpace(email) ? "Email is required." : email.Length > MaxEmailLength ? "Email is too long." : null;

    /// <inheritdoc cref="SignInEmailError"/>
    public static string? SignInPasswordError(string? password) =>
        password is { Length: > 0 and <= MaxPasswordLength } ? null : PasswordError(password);

    public static string? DisplayNameError(string? displayName) => displayName?.Trim() switch
    {
        null or "" => "Display name is required.",
        { Length: > MaxDisplayNameLength } => $"Display name must be at most {MaxDisplayNameLength} characters.",
        var name when name.Any(char.IsControl) => "Display name must not contain control characters.",
        _ => null,
    };
}
