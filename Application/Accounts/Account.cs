namespace SecondServer.Application.Accounts;

/// <summary>A stored account.</summary>
internal sealed record Account(long Id, string Email, string DisplayName, string PasswordHash, string? PictureKey);

/// <summary>What <c>GET /api/me</c> shows and the profile cache holds.</summary>
internal sealed record Profile(long Id, string Email, string DisplayName, string? PictureKey);
