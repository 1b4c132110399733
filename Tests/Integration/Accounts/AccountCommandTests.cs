using Microsoft.Extensions.DependencyInjection;
using SecondServer.Application.Accounts;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>
/// The account commands check their own input and answer with results, on the real database and Redis, so no caller
/// has to know the rules.
/// </summary>
public sealed class AccountCommandTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private TestCluster _cluster = null!;

    private AccountService Accounts => _cluster.Web().Services.GetRequiredService<AccountService>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(1, 0, o => o.Name = "accounts", Ct);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Registration_names_each_broken_rule_by_field_and_stores_nothing()
    {
        var badEmail = await Accounts.RegisterAsync("not-an-email", Password, "Ann", Ct);
        var shortPassword = await Accounts.RegisterAsync("ann@example.com", "short", "Ann", Ct);
        var longName = await Accounts.RegisterAsync("ann@example.com", Password, new string('n', AccountRules.MaxDisplayNameLength + 1), Ct);
        var nothing = await Accounts.RegisterAsync(null, null, "  ", Ct);

        Assert.Equal(new Dictionary<string, string> { ["email"] = "Email is not a valid address." }, Assert.IsType<RegisterResult.Invalid>(badEmail).Errors);
        Assert.Equal(new Dictionary<string, string> { ["password"] = "Password must be at least 8 characters." }, Assert.IsType<RegisterResult.Invalid>(shortPassword).Errors);
        Assert.Equal(new Dictionary<string, string> { ["displayName"] = "Display name must be at most 100 characters." }, Assert.IsType<RegisterResult.Invalid>(longName).Errors);
        Assert.Equal(["email", "password", "displayName"], Assert.IsType<RegisterResult.Invalid>(nothing).Errors.Keys);
        Assert.IsType<RegisterResult.Created>(await Accounts.RegisterAsync("ann@example.com", Password, "Ann", Ct));
    }

    [Fact]
    public async Task Registration_trims_and_answers_taken_for_an_email_in_use_in_any_case()
    {
        var created = Assert.IsType<RegisterResult.Created>(await Accounts.RegisterAsync(" bob@example.com ", Password, "  Bob  ", Ct));
        var again = await Accounts.RegisterAsync("BOB@example.com", Password, "Bob", Ct);

        Assert.Equal(("bob@example.com", "Bob"), (created.Account.Email, created.Account.DisplayName));
        Assert.IsType<RegisterResult.Taken>(again);
    }

    [Fact]
    public async Task A_display_name_change_is_checked_trimmed_and_seen_at_once()
    {
        var account = Assert.IsType<RegisterResult.Created>(await Accounts.RegisterAsync("cy@example.com", Password, "Cy", Ct)).Account;
        var profiles = _cluster.Web().Services.GetRequiredService<ProfileCache>();
        Assert.Equal("Cy", (await profiles.GetAsync(account.Id, Ct))!.DisplayName);

        var tooLong = await Accounts.UpdateDisplayNameAsync(account.Id, new string('n', AccountRules.MaxDisplayNameLength + 1), Ct);
        var control = await Accounts.UpdateDisplayNameAsync(account.Id, "Cy\u0007", Ct);
        var renamed = await Accounts.UpdateDisplayNameAsync(account.Id, "  Cyrus  ", Ct);

        Assert.Equal(["displayName"], Assert.IsType<UpdateDisplayNameResult.Invalid>(tooLong).Errors.Keys);
        Assert.Equal("Display name must not contain control characters.", Assert.IsType<UpdateDisplayNameResult.Invalid>(control).Errors["displayName"]);
        Assert.IsType<UpdateDisplayNameResult.Updated>(renamed);
        Assert.Equal("Cyrus", (await profiles.GetAsync(account.Id, Ct))!.DisplayName);
    }

    [Fact]
    public async Task Sign_in_and_password_change_check_their_fields_before_any_work()
    {
        var account = Assert.IsType<RegisterResult.Created>(await Accounts.RegisterAsync("dee@example.com", Password, "Dee", Ct)).Account;

        var noEmail = await Accounts.LoginAsync(" ", Password, "198.51.100.7", Ct);
        var hugePassword = await Accounts.LoginAsync("dee@example.com", new string('p', AccountRules.MaxPasswordLength + 1), "198.51.100.7", Ct);
        // Too short is not a sign-in rule: it is just a wrong password, counted as one.
        var shortPassword = await Accounts.LoginAsync("dee@example.com", "short", "198.51.100.7", Ct);
        var shortNew = await Accounts.ChangePasswordAsync(account.Id, Password, "short", Ct);
        var wrongCurrent = await Accounts.ChangePasswordAsync(account.Id, "not the password", "a new long password", Ct);
        var changed = await Accounts.ChangePasswordAsync(account.Id, Password, "a new long password", Ct);

        Assert.Equal(new Dictionary<string, string> { ["email"] = "Email is required." }, Assert.IsType<LoginResult.Invalid>(noEmail).Errors);
        Assert.Equal(["password"], Assert.IsType<LoginResult.Invalid>(hugePassword).Errors.Keys);
        Assert.IsType<LoginResult.InvalidCredentials>(shortPassword);
        Assert.Equal(["newPassword"], Assert.IsType<ChangePasswordResult.Invalid>(shortNew).Errors.Keys);
        Assert.Equal("The current password is wrong.", Assert.IsType<ChangePasswordResult.Invalid>(wrongCurrent).Errors["currentPassword"]);
        Assert.IsType<ChangePasswordResult.Changed>(changed);
        Assert.IsType<LoginResult.Succeeded>(await Accounts.LoginAsync("dee@example.com", "a new long password", "198.51.100.7", Ct));
    }
}
