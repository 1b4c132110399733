using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Integration.Pages;

/// <summary>
/// The security headers on every page, API answer and error, and pages the policy lets work:
/// no inline script, style or event handler, and the picture's redirect target allowed as an image source.
/// </summary>
public sealed partial class SecurityHeaderTests : IAsyncLifetime
{
    private static readonly string[] VisitorPages = ["/", "/login", "/register", "/status/404", "/no/such/page"];
    private static readonly string[] AdminPages = ["/", "/profile", "/reports", "/admin/queue", "/admin/schedule", "/admin/cluster", "/admin/doctor"];
    private TestCluster _cluster = null!;

    private TestHost Web => _cluster.Web();

    public async ValueTask InitializeAsync() =>
        _cluster = await TestCluster.StartAsync(1, 0, o => o.Settings["Admin:Emails:0"] = "boss@example.com", TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Every_page_carries_the_headers_and_a_policy_its_markup_keeps_to()
    {
        using var visitor = new Browser();
        using var admin = new Browser();
        await admin.SignUpAndInAsync(Web.Address, "boss@example.com");
        using (var picture = new MultipartFormDataContent
        {
            {
                new ByteArrayContent(Convert.FromBase64String(
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")),
                "file",
                "me.png"
            },
        })
        using (var upload = await admin.PutAsync(Web.Address, "/api/profile/picture", picture))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        var pages = new List<(string Path, HttpResponseMessage Response, string Html)>();
        foreach (var (browser, path) in VisitorPages.Select(p => (visitor, p)).Concat(AdminPages.Select(p => (admin, p))))
        {
            var response = await browser.GetAsync(Web.Address, path);
            pages.Add((path, response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
        }

        using var redirect = await admin.GetAsync(Web.Address, "/api/profile/picture");
        var pictureOrigin = redirect.Headers.Location!.GetLeftPart(UriPartial.Authority);

        Assert.All(pages, page =>
        {
            Assert.Equal("text/html", page.Response.Content.Headers.ContentType?.MediaType);
            AssertCommonHeaders(page.Response.Headers, page.Path);
            var policy = Directives(page.Response.Headers);
            Assert.Equal("'self'", policy["script-src"]);
            Assert.Equal("'self'", policy["style-src"]);
            Assert.Equal("'self'", policy["form-action"]);
            Assert.Contains(pictureOrigin, policy["img-src"].Split(' '));
            // What the policy would block must not be in the markup: it would break the page.
            Assert.DoesNotMatch(InlineScript(), page.Html);
            Assert.DoesNotMatch(InlineStyleOrHandler(), page.Html);
        });
        foreach (var page in pages)
        {
            page.Response.Dispose();
        }
    }

    [Fact]
    public async Task Api_answers_and_errors_carry_the_headers_with_a_policy_that_allows_nothing()
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Web.Address, "api@example.com");
        using var me = await browser.GetAsync(Web.Address, "/api/me");
        using var forbidden = await browser.GetAsync(Web.Address, "/api/admin/queue");
        using var missing = await browser.GetAsync(Web.Address, "/api/no/such/thing");
        using var malformed = await browser.PutAsync(Web.Address, "/api/profile", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        using var health = await browser.GetAsync(Web.Address, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        foreach (var (name, response) in new[] { ("me", me), ("403", forbidden), ("404", missing), ("400", malformed), ("health", health) })
        {
            AssertCommonHeaders(response.Headers, name);
            Assert.Equal("'none'", Directives(response.Headers)["default-src"]);
        }
    }

    private static void AssertCommonHeaders(HttpResponseHeaders headers, string what)
    {
        Assert.True(headers.Contains("Content-Security-Policy"), $"{what} has no Content-Security-Policy");
        Assert.Equal("'none'", Directives(headers)["frame-ancestors"]);
        Assert.Equal(["nosniff"], headers.GetValues("X-Content-Type-Options"));
        Assert.Equal(["same-origin"], headers.GetValues("Referrer-Policy"));
        Assert.Equal(["DENY"], headers.GetValues("X-Frame-Options"));
        Assert.Equal(["web-1"], headers.GetValues("X-Served-By"));
    }

    private static Dictionary<string, string> Directives(HttpResponseHeaders headers) =>
        headers.GetValues("Content-Security-Policy").Single().Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(' ', 2)).ToDictionary(d => d[0], d => d.Length > 1 ? d[1] : "");

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<style\b|\sstyle=""|\son[a-z]+=""", RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyleOrHandler();
}
