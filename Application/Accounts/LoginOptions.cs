using System.ComponentModel.DataAnnotations;

namespace SecondServer.Application.Accounts;

/// <summary>How many failed sign-ins are tolerated, counted cluster-wide in Redis.</summary>
internal sealed class LoginOptions
{
    public const string Section = "Login";

    /// <summary>Failures for one account from one client address; then that pair waits out the window.</summary>
    [Range(1, 1000)]
    public int MaxFailuresPerAccountAndAddress { get; set; } = 5;

    /// <summary>Failures from one client address over all accounts (credential stuffing).</summary>
    [Range(1, 100000)]
    public int MaxFailuresPerAddress { get; set; } = 50;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}
