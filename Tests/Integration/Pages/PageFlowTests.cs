using System.Net;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Pages;

/// <summary>The server-rendered pages across two replicas: forms with antiforgery, flash messages in the shared session.</summary>
public sealed class PageFlowTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await TestCluster.StartAsync(2, 0, o => o.Settings["Admin:Emails:0"] = "boss@example.com", TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Registering_through_one_replica_shows_the_welcome_on_the_page_the_other_renders()
    {
        using var browser = new Browser();
        var form = await browser.FormTokenAsync(_cluster.Web(1).Address, "/register");

        using var posted = await browser.PostFormAsync(_cluster.Web(1).Address, "/register", form, new()
        {
            ["Email"] = "page@example.com",
            ["DisplayName"] = "Paige",
            ["Password"] = "correct horse battery",
        });
        using var profile = await browser.GetAsync(_cluster.Web(2).Address, "/profile");
        var html = await profile.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Contains("Welcome, Paige.", html, StringComparison.Ordinal);
        Assert.Contains("served by web-2", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_form_a_page_posts_carries_an_antiforgery_token_signed_in_or_not()
    {
        using var visitor = new Browser();
        using var admin = new Browser();
        await admin.SignUpAndInAsync(_cluster.Web(1).Address, "boss@example.com");
        var pages = new List<(string Who, string Path, string Html)>();
        foreach (var path in new[] { "/", "/login", "/register" })
        {
            pages.Add(("visitor", path, await HtmlAsync(visitor, path)));
        }

        // Signed in, the header adds the sign-out form to every page.
        foreach (var path in new[] { "/", "/profile", "/logout", "/reports", "/admin/queue", "/admin/schedule", "/admin/cluster", "/admin/doctor" })
        {
            pages.Add(("admin", path, await HtmlAsync(admin, path)));
        }

        Assert.All(pages, page =>
        {
            var posts = page.Html.Split("<form method=\"post\"").Length - 1;
            var tokens = page.Html.Split("name=\"__RequestVerificationToken\"").Length - 1;
            Assert.True(posts == tokens && (posts > 0 || page.Who == "visitor"), $"{page.Path} as {page.Who}: {posts} post forms, {tokens} tokens");
        });
    }

    [Fact]
    public async Task Form_errors_are_shown_next_to_the_field_and_the_input_is_kept()
    {
        using var browser = new Browser();
        var form = await browser.FormTokenAsync(_cluster.Web(1).Address, "/register");

        using var posted = await browser.PostFormAsync(_cluster.Web(2).Address, "/register", form, new()
        {
            ["Email"] = "not-an-email",
            ["DisplayName"] = "Kept Name",
            ["Password"] = "short",
        });
        var html = await posted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("Email is not a valid address.", html, StringComparison.Ordinal);
        Assert.Contains("Password must be at least 8 characters.", html, StringComparison.Ordinal);
        Assert.Contains("value=\"Kept Name\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_pages_and_admin_pages_for_non_admins_are_styled_not_raw()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(_cluster.Web(1).Address, "plain@example.com");

        using var missing = await browser.GetAsync(_cluster.Web(1).Address, "/no/such/page");
        using var api = await browser.GetAsync(_cluster.Web(1).Address, "/api/no/such/thing");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("There is no page at this address.", await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Administrators_see_the_operator_pages_and_others_are_turned_away()
    {
        using var admin = new Browser();
        using var plain = new Browser();
        await admin.SignUpAndInAsync(_cluster.Web(1).Address, "boss@example.com");
        await plain.SignUpAndInAsync(_cluster.Web(1).Address, "staff@example.com");

        using var queue = await admin.GetAsync(_cluster.Web(2).Address, "/admin/queue");
        using var schedule = await admin.GetAsync(_cluster.Web(2).Address, "/admin/schedule");
        using var cluster = await admin.GetAsync(_cluster.Web(2).Address, "/admin/cluster");
        using var doctor = await admin.GetAsync(_cluster.Web(2).Address, "/admin/doctor");
        using var deniedDoctor = await plain.GetAsync(_cluster.Web(2).Address, "/admin/doctor");
        using var denied = await plain.GetAsync(_cluster.Web(2).Address, "/admin/queue");
        using var deniedPage = await plain.GetAsync(_cluster.Web(2).Address, denied.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        Assert.Contains("data-total=\"pending\"", await queue.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, schedule.StatusCode);
        Assert.Contains("data-schedule=\"heartbeat\"", await schedule.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        // These replicas run without Cluster settings: the pages say so instead of failing.
        Assert.Contains("has no <code>Cluster</code> settings", await cluster.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("has no <code>Cluster</code> settings", await doctor.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, deniedDoctor.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deniedPage.StatusCode);
        Assert.Contains("This page is for administrators.", await deniedPage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private async Task<string> HtmlAsync(Browser browser, string path)
    {
        using var response = await browser.GetAsync(_cluster.Web(2).Address, path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }
}
