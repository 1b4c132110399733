using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Accounts;

/// <summary>Rule 2 with two replicas in one process sharing real Redis and MySQL: the user never notices which one served them.</summary>
public sealed class SharedSessionTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    private Uri A => _cluster.Web(1).Address;

    private Uri B => _cluster.Web(2).Address;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(2, 0, null, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Signed_in_on_one_replica_is_signed_in_on_the_other()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "ann@example.com", displayName: "Ann");

        using var me = await browser.GetAsync(B, "/api/me");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var body = await me.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("ann@example.com", body.GetProperty("email").GetString());
        Assert.Equal("Ann", body.GetProperty("displayName").GetString());
        Assert.Equal("web-2", me.Headers.GetValues("X-Served-By").Single());
    }

    [Fact]
    public async Task Signing_out_on_one_replica_ends_the_session_everywhere_also_for_a_replayed_cookie()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "bob@example.com");
        var stolen = browser.Cookie(A, "ss_auth")!;

        using var logout = await browser.PostAsync(B, "/api/account/logout");
        using var afterLogout = await browser.GetAsync(A, "/api/me");
        using var replayer = new Browser();
        replayer.Cookies.Add(A, new Cookie("ss_auth", stolen));
        using var replayed = await replayer.GetAsync(A, "/api/me");

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterLogout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task Every_sign_in_gets_a_new_session_key_and_ends_the_previous_one()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "cy@example.com");
        var first = browser.Cookie(A, "ss_auth")!;

        await browser.SignUpAndInAsync(B, "cy@example.com");
        var second = browser.Cookie(A, "ss_auth")!;
        using var replayer = new Browser();
        replayer.Cookies.Add(A, new Cookie("ss_auth", first));
        using var replayed = await replayer.GetAsync(A, "/api/me");
        using var current = await browser.GetAsync(A, "/api/me");

        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task A_CSRF_token_issued_by_one_replica_is_accepted_by_the_other_and_required()
    {
        using var browser = new Browser();
        using var other = new Browser();
        await browser.SignUpAndInAsync(A, "dee@example.com");
        await other.SignUpAndInAsync(A, "dan@example.com");

        var refused = await CsrfProbe.RefusedAsync(browser, other, B);
        using var withToken = await browser.PutAsync(B, "/api/profile", new { displayName = "Dee" });

        Assert.Equal(CsrfProbe.AllRefused, refused);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
    }

    [Fact]
    public async Task A_profile_change_through_one_replica_is_seen_through_the_other_at_once()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "eve@example.com", displayName: "Eve");
        using var cached = await browser.GetAsync(B, "/api/me");

        using var changed = await browser.PutAsync(A, "/api/profile", new { displayName = "Eve Renamed" });
        using var after = await browser.GetAsync(B, "/api/me");

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("Eve", (await cached.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("displayName").GetString());
        Assert.Equal("Eve Renamed", (await after.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task Changing_the_password_signs_the_account_out_everywhere_else()
    {
        using var laptop = new Browser();
        using var phone = new Browser();
        await laptop.SignUpAndInAsync(A, "fay@example.com", password: "first password");
        await phone.SignUpAndInAsync(B, "fay@example.com", password: "first password");

        using var change = await laptop.PostAsync(B, "/api/account/password", new { currentPassword = "first password", newPassword = "second password" });
        using var phoneAfter = await phone.GetAsync(A, "/api/me");
        using var laptopAfter = await laptop.GetAsync(A, "/api/me");
        using var oldPassword = await new Browser().PostAsync(A, "/api/account/login", new { email = "fay@example.com", password = "first password" });

        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, phoneAfter.StatusCode);
        Assert.Equal(HttpStatusCode.OK, laptopAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
    }

    [Fact]
    public async Task Failed_sign_ins_are_counted_across_replicas_and_do_not_block_another_user()
    {
        using var attacker = new Browser();
        using var victimOfNothing = new Browser();
        await victimOfNothing.SignUpAndInAsync(A, "gus@example.com");
        await attacker.SignUpAndInAsync(A, "hal@example.com");

        var statuses = new List<HttpStatusCode>();
        foreach (var host in new[] { A, B, A, B, A })
        {
            using var failed = await attacker.PostAsync(host, "/api/account/login", new { email = "hal@example.com", password = "wrong password" });
            statuses.Add(failed.StatusCode);
        }

        using var blocked = await attacker.PostAsync(B, "/api/account/login", new { email = "hal@example.com", password = "correct horse battery" });
        using var other = await victimOfNothing.PostAsync(B, "/api/account/login", new { email = "gus@example.com", password = "correct horse battery" });

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(A, "ivy@example.com");

        using var wrongPassword = await new Browser().PostAsync(A, "/api/account/login", new { email = "ivy@example.com", password = "not her password" });
        using var unknownEmail = await new Browser().PostAsync(A, "/api/account/login", new { email = "nobody@example.com", password = "not her password" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        Assert.Equal(await TitleOf(wrongPassword), await TitleOf(unknownEmail));
    }

    [Fact]
    public async Task The_key_ring_holds_one_key_after_both_replicas_booted_together()
    {
        var keys = _cluster.Web(1).Services.GetService(typeof(Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager)) as Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager;

        Assert.Single(keys!.GetAllKeys());
    }

    [Fact]
    public async Task Registration_rules_and_duplicates_answer_problem_json()
    {
        using var browser = new Browser();
        using var duplicateFirst = await browser.PostAsync(A, "/api/account/register", new { email = "jo@example.com", password = "long enough", displayName = "Jo" });
        using var duplicate = await browser.PostAsync(B, "/api/account/register", new { email = " JO@example.com ", password = "long enough", displayName = "Jo" });
        using var invalid = await browser.PostAsync(A, "/api/account/register", new { email = "not-an-email", password = "short", displayName = "" });
        using var tooLong = await browser.PostAsync(A, "/api/account/register", new { email = new string('a', 250) + "@example.com", password = new string('p', 1025), displayName = "x" });
        using var malformed = await browser.PostAsync(A, "/api/account/register", new StringContent("{\"email\": ", System.Text.Encoding.UTF8, "application/json"));
        using var loginTooLong = await browser.PostAsync(A, "/api/account/login", new { email = "jo@example.com", password = new string('p', 1025) });

        Assert.Equal(HttpStatusCode.Created, duplicateFirst.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("errors");
        Assert.Equal(["displayName", "email", "password"], errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var longErrors = (await tooLong.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("errors");
        Assert.True(longErrors.TryGetProperty("email", out _) && longErrors.TryGetProperty("password", out _));
        foreach (var response in new[] { duplicate, invalid, tooLong, malformed, loginTooLong })
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, loginTooLong.StatusCode);
    }

    private static async Task<string?> TitleOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("title").GetString();
}
