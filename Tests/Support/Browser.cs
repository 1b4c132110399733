using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace SecondServer.Tests.Support;

/// <summary>
/// One user's browser: a single cookie jar used against any number of replicas (cookies are per host name, not
/// port, so 127.0.0.1:A and 127.0.0.1:B share them, as two replicas behind one balancer do), echoing the
/// XSRF-TOKEN cookie in the X-XSRF-TOKEN header like the SPA convention asks.
/// </summary>
internal sealed partial class Browser : IDisposable
{
    private readonly HttpClient _http;

    public Browser()
    {
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public CookieContainer Cookies { get; } = new();

    public bool SendXsrfHeader { get; set; } = true;

    /// <summary>Sends <c>Expect: 100-continue</c> with a body: the body goes only once the server asks for it.</summary>
    public bool ExpectContinue { get; set; }

    public Task<HttpResponseMessage> GetAsync(Uri host, string path) => SendAsync(HttpMethod.Get, host, path, null);

    public Task<HttpResponseMessage> PostAsync(Uri host, string path, object? body = null) => SendAsync(HttpMethod.Post, host, path, body);

    public Task<HttpResponseMessage> PutAsync(Uri host, string path, object? body = null) => SendAsync(HttpMethod.Put, host, path, body);

    /// <summary>Sends a request with this browser's cookies; a given <c>xsrfToken</c> (forged, or another user's) goes in X-XSRF-TOKEN instead of the browser's own.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri host, string path, object? body, string? xsrfToken = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(host, path));
        request.Headers.ExpectContinue = ExpectContinue && body is not null ? true : null;
        if (body is HttpContent content)
        {
            request.Content = content;
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (xsrfToken is not null)
        {
            request.Headers.Add("X-XSRF-TOKEN", xsrfToken);
        }
        else if (SendXsrfHeader && Cookie(host, "XSRF-TOKEN") is { } token)
        {
            request.Headers.Add("X-XSRF-TOKEN", token);
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public string? Cookie(Uri host, string name) => Cookies.GetCookies(host)[name]?.Value;

    /// <summary>Registers (if needed) and signs in; returns the sign-in response, asserted 200.</summary>
    public async Task SignUpAndInAsync(Uri host, string email, string password = "correct horse battery", string displayName = "Tester")
    {
        using var registered = await PostAsync(host, "/api/account/register", new { email, password, displayName });
        Assert.True(registered.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"register answered {(int)registered.StatusCode}");
        using var login = await PostAsync(host, "/api/account/login", new { email, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    /// <summary>The antiforgery token a page's form carries, as a browser would send it back.</summary>
    public async Task<string> FormTokenAsync(Uri host, string path)
    {
        using var page = await GetAsync(host, path);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, $"{path} has no form with an antiforgery token");
        return token.Groups[1].Value;
    }

    /// <summary>Submits a page's form: its fields plus the token from <see cref="FormTokenAsync"/>.</summary>
    public Task<HttpResponseMessage> PostFormAsync(Uri host, string action, string token, Dictionary<string, string>? fields = null) =>
        PostAsync(host, action, new FormUrlEncodedContent(new Dictionary<string, string>(fields ?? []) { ["__RequestVerificationToken"] = token }));

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
