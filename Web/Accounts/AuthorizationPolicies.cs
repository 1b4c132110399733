namespace SecondServer.Web.Accounts;

/// <summary>Names of the authorization policies endpoints require.</summary>
internal static class AuthorizationPolicies
{
    /// <summary>Accounts whose email is listed in <c>Admin:Emails</c>.</summary>
    public const string Admin = "admin";
}
