using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using SecondServer.Infrastructure.Storage;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Faults;

/// <summary>
/// One real Web host with something to attack: two users (one with a picture), an administrator with a queued
/// report, a failed job, and each one's cookies and tokens, taken once so no hostile request can change them.
/// </summary>
public sealed class HostileInputFixture : IAsyncLifetime
{
    /// <summary>Small, so an oversized upload costs little to send; the limits scale with it.</summary>
    public const long PictureMaxBytes = 256 * 1024;

    public const string FailedJobId = "seeded-failed-job";

    private TestCluster _cluster = null!;

    internal TestHost Web => _cluster.Web();

    internal Uri Address => Web.Address;

    /// <summary>A signed-in user with a picture.</summary>
    internal Identity User { get; private set; } = null!;

    /// <summary>Another signed-in user, without a picture.</summary>
    internal Identity Other { get; private set; } = null!;

    internal Identity Admin { get; private set; } = null!;

    /// <summary>A visitor who opened the sign-in page: an antiforgery cookie and form token, no session.</summary>
    internal Identity Visitor { get; private set; } = null!;

    internal Guid ReportId { get; private set; }

    /// <summary>The version stem of <see cref="User"/>'s picture URL (<c>?v=</c>).</summary>
    internal string PictureVersion { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(1, 0, o =>
        {
            o.Settings["Admin:Emails:0"] = "root@example.com";
            o.Settings["ProfilePictures:MaxBytes"] = PictureMaxBytes.ToString(CultureInfo.InvariantCulture);
        }, TestContext.Current.CancellationToken);

        User = await SignInAsync("user@example.com", "/profile");
        Other = await SignInAsync("other@example.com", "/profile");
        Admin = await SignInAsync("root@example.com", "/admin/queue");
        using (var visitor = new Browser())
        {
            var token = await visitor.FormTokenAsync(Address, "/login");
            Visitor = new Identity(0, "", visitor.Cookies.GetCookieHeader(Address), "", token);
        }

        using (var admin = Replay(Admin))
        using (var report = await admin.PostAsync(new Uri(Address, "/api/reports"), null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Accepted, report.StatusCode);
            ReportId = (await report.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetGuid();
        }

        using (var user = Replay(User))
        using (var picture = new MultipartFormDataContent())
        {
            picture.Add(new ByteArrayContent(HostileInputs.Png), "file", "me.png");
            using var upload = await user.PutAsync(new Uri(Address, "/api/profile/picture"), picture, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
            var url = (await upload.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("pictureUrl").GetString()!;
            PictureVersion = url[(url.IndexOf("?v=", StringComparison.Ordinal) + 3)..];
        }

        await using var connection = await _cluster.Database.Connections.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            "INSERT INTO failed_jobs (job_id, queue, job_type, payload, exception, attempts, failed_at, failed_by) VALUES (@id, 'default', 'Probe', '{}', 'boom', 3, UTC_TIMESTAMP(6), 'test')",
            new { id = FailedJobId });
    }

    /// <summary>A client that sends exactly the given identity's cookies and nothing it picks up along the way.</summary>
    internal HttpClient Replay(Identity who)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
        if (who.Cookies.Length > 0)
        {
            client.DefaultRequestHeaders.Add("Cookie", who.Cookies);
        }

        if (who.Xsrf.Length > 0)
        {
            client.DefaultRequestHeaders.Add("X-XSRF-TOKEN", who.Xsrf);
        }

        return client;
    }

    /// <summary>
    /// Everything a hostile request could have changed, one line per row, object or session: the accounts, reports
    /// and failed jobs in MySQL, the objects in S3, and whether each session in Redis still signs its user in.
    /// </summary>
    internal async Task<SortedSet<string>> SnapshotAsync()
    {
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        await using (var connection = await _cluster.Database.Connections.OpenAsync(CancellationToken.None))
        {
            foreach (var table in new[] { "accounts", "reports", "failed_jobs" })
            {
                foreach (IDictionary<string, object?> row in await connection.QueryAsync($"SELECT * FROM {table}"))
                {
                    lines.Add($"{table}: {string.Join(" | ", row.Select(c => $"{c.Key}={Convert.ToString(c.Value, CultureInfo.InvariantCulture)}"))}");
                }
            }
        }

        await foreach (var stored in Web.Services.GetRequiredService<ObjectStorage>().ListAsync("", CancellationToken.None))
        {
            lines.Add($"s3: {stored.Key} {stored.Size}");
        }

        foreach (var who in new[] { User, Other, Admin })
        {
            using var client = Replay(who);
            using var me = await client.GetAsync(new Uri(Address, "/api/me"), CancellationToken.None);
            lines.Add($"session of {who.Email}: {(int)me.StatusCode}");
        }

        return lines;
    }

    private async Task<Identity> SignInAsync(string email, string formPage)
    {
        using var browser = new Browser();
        await browser.SignUpAndInAsync(Address, email);
        // The form token comes with the antiforgery cookie the API token was issued against.
        var formToken = await browser.FormTokenAsync(Address, formPage);
        await using var connection = await _cluster.Database.Connections.OpenAsync(CancellationToken.None);
        var id = await connection.ExecuteScalarAsync<long>("SELECT id FROM accounts WHERE email = @email", new { email });
        return new Identity(id, email, browser.Cookies.GetCookieHeader(Address), browser.Cookie(Address, "XSRF-TOKEN")!, formToken);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    /// <summary>Who sends a request: the cookie header, the API's CSRF token, a page form's antiforgery token.</summary>
    internal sealed record Identity(long Id, string Email, string Cookies, string Xsrf, string FormToken);
}
