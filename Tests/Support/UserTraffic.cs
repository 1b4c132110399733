using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;

namespace SecondServer.Tests.Support;

/// <summary>
/// What one signed-in user sends through the balancer while a replica is deployed or killed: reads of /api/me,
/// renames (PUT /api/profile), picture uploads (PUT /api/profile/picture, multipart) and, for an administrator,
/// report requests (POST /api/reports), the writes with the session cookie and the CSRF token as a browser sends
/// them. HAProxy retries only the reads, so the writes show what a client sees when its request meets a deploy or a
/// kill. Every write sends something unique, so what was stored can be traced back to one whole request.
/// </summary>
internal sealed class UserTraffic
{
    public const string Reads = "GET /api/me";
    public const string Renames = "PUT /api/profile";
    public const string Uploads = "PUT /api/profile/picture";
    public const string ReportRequests = "POST /api/reports";

    private readonly Uri _balancer;
    private readonly string _email;
    private readonly string _cookie;
    private readonly string _xsrfToken;
    private readonly ConcurrentDictionary<string, long> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _pictures = new(StringComparer.Ordinal);

    private UserTraffic(Uri balancer, string email, string cookie, string xsrfToken)
    {
        _balancer = balancer;
        _email = email;
        _cookie = cookie;
        _xsrfToken = xsrfToken;
    }

    /// <summary>The names of the request kinds that write.</summary>
    public static IReadOnlyList<string> Writes { get; } = [Renames, Uploads, ReportRequests];

    /// <summary>Signs <paramref name="email"/> up and in through the balancer, once, before the load starts.</summary>
    public static async Task<UserTraffic> SignInAsync(Uri balancer, string email)
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(balancer, email);
        return new UserTraffic(balancer, email, browser.Cookies.GetCookieHeader(balancer), browser.Cookie(balancer, "XSRF-TOKEN")!);
    }

    /// <summary>The mix to hand a <see cref="LoadGenerator"/>; report requests only for an administrator.</summary>
    public IReadOnlyList<LoadRequest> Requests(bool reports)
    {
        List<LoadRequest> mix =
        [
            new(Reads, _ => Request(HttpMethod.Get, "/api/me", content: null)),
            new(Renames, n => Request(HttpMethod.Put, "/api/profile", JsonContent.Create(new { displayName = NameOf(n) }))),
            new(Reads, _ => Request(HttpMethod.Get, "/api/me", content: null)),
            new(Uploads, n => Request(HttpMethod.Put, "/api/profile/picture", new MultipartFormDataContent { { new ByteArrayContent(Picture(n)), "file", "me.png" } })),
        ];
        if (reports)
        {
            mix.Add(new(ReportRequests, _ => Request(HttpMethod.Post, "/api/reports", content: null)));
        }

        return mix;
    }

    /// <summary>What a signed-in user reads that the shared cache can serve: <c>GET /api/me</c>, the home and profile pages.</summary>
    public IReadOnlyList<LoadRequest> CachedReads() =>
    [
        new(Reads, _ => Request(HttpMethod.Get, "/api/me", content: null)),
        new("GET /", _ => Request(HttpMethod.Get, "/", content: null)),
        new("GET /profile", _ => Request(HttpMethod.Get, "/profile", content: null)),
    ];

    /// <summary>
    /// Checks what the writes left behind in MySQL and S3: the account's row holds a name one rename sent and the
    /// key of a picture object that one upload sent, stored whole.
    /// </summary>
    public async Task AssertStoredWholeAsync(ClusterFixture cluster)
    {
        var ct = TestContext.Current.CancellationToken;
        (string DisplayName, string PictureKey) row;
        await using (var connection = await cluster.OpenDatabaseAsync())
        {
            row = await connection.QuerySingleAsync<(string, string)>(new CommandDefinition(
                "SELECT display_name, picture_key FROM accounts WHERE email_normalized = @email", new { email = _email }, cancellationToken: ct));
        }

        using var s3 = cluster.S3();
        using var stored = await s3.GetObjectAsync("uploads", row.PictureKey, ct);
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes, ct);

        Assert.True(_names.ContainsKey(row.DisplayName), $"the stored name {row.DisplayName} is none a rename sent");
        Assert.True(_pictures.ContainsKey(Convert.ToHexString(SHA256.HashData(bytes.ToArray()))), $"the stored picture {row.PictureKey} ({bytes.Length} bytes) is none of the uploads, whole");
    }

    /// <summary>The reports an administrator requested since <paramref name="since"/>, by status, once none is queued or running.</summary>
    public async Task<Dictionary<string, int>> ReportsSinceAsync(ClusterFixture cluster, DateTime since)
    {
        return await Eventually.WaitAsync(
            async () =>
            {
                await using var connection = await cluster.OpenDatabaseAsync();
                return (await connection.QueryAsync<(string Status, int Count)>(new CommandDefinition(
                    """
                    SELECT r.status, COUNT(*) FROM reports r JOIN accounts a ON a.id = r.requested_by
                    WHERE a.email_normalized = @email AND r.created_at >= @since GROUP BY r.status
                    """,
                    new { email = _email, since }, cancellationToken: TestContext.Current.CancellationToken))).ToDictionary(r => r.Status, r => r.Count);
            },
            byStatus => !byStatus.ContainsKey("queued") && !byStatus.ContainsKey("running"),
            TimeSpan.FromMinutes(3),
            "every report requested under load to finish");
    }

    private string NameOf(long sequence)
    {
        var name = $"Write {sequence}";
        _names[name] = sequence;
        return name;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(_balancer, path)) { Content = content };
        request.Headers.Add("Cookie", _cookie);
        if (method != HttpMethod.Get)
        {
            request.Headers.Add("X-XSRF-TOKEN", _xsrfToken);
        }

        return request;
    }

    // A small PNG-signed picture no other request sends, remembered by its hash.
    private byte[] Picture(long sequence)
    {
        var bytes = RandomNumberGenerator.GetBytes(16 * 1024);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        _pictures[Convert.ToHexString(SHA256.HashData(bytes))] = sequence;
        return bytes;
    }
}
