using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>
/// The cluster's secrets stay where only their owner reads them: never on a command line (every local user reads
/// /proc/PID/cmdline, ps shows it) and never in a log, whatever traffic went through.
/// </summary>
[Collection("cluster")]
public sealed class SecretTests(ClusterFixture cluster)
{
    [Fact]
    public void No_process_of_the_cluster_has_a_secret_on_its_command_line()
    {
        var commandLines = cluster.Processes()
            .Select(pid => (Pid: pid, CommandLine: CommandLine(pid)))
            .Where(p => p.CommandLine is not null)
            .ToList();

        // The scan saw the whole cluster: each server and app, not just supervisord.
        foreach (var program in new[] { "supervisord", "redis-server", "mariadbd", "server.js", "Web.dll", "Worker.dll", "haproxy" })
        {
            Assert.Contains(commandLines, p => p.CommandLine!.Contains(program, StringComparison.Ordinal));
        }

        var exposed = from p in commandLines
                      from secret in ClusterSecrets()
                      where p.CommandLine!.Contains(secret.Value, StringComparison.Ordinal)
                      select $"{secret.Key} in the command line of pid {p.Pid}: {p.CommandLine![..Math.Min(p.CommandLine!.Length, 60)]}...";
        Assert.Empty(exposed);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void The_files_holding_secrets_are_readable_by_their_owner_only()
    {
        foreach (var file in new[] { "secrets.env", "redis/redis.conf", "supervisor/supervisord.conf", "haproxy/haproxy.cfg" })
        {
            var mode = File.GetUnixFileMode(Path.Combine(cluster.DataDirectory, file));
            Assert.True((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0, $"{file} is {mode}");
        }
    }

    [Fact]
    public async Task After_sign_ins_uploads_renames_and_reports_no_log_of_the_cluster_holds_a_secret()
    {
        var ct = TestContext.Current.CancellationToken;
        var secrets = ClusterSecrets().ToDictionary();
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        secrets["the user's password"] = password;
        secrets["the administrator's password"] = "correct horse battery";

        using var user = new Browser();
        var email = $"{Guid.NewGuid():N}@example.com";
        await user.SignUpAndInAsync(cluster.Balancer, email, password);
        // A wrong password is a request that is logged as a failure: its password must not be either.
        var wrong = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        secrets["a wrong password"] = wrong;
        using (var refused = await user.PostAsync(cluster.Balancer, "/api/account/login", new { email, password = wrong }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var upload = await user.PutAsync(cluster.Balancer, "/api/profile/picture", Jpeg()))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        using (var rename = await user.PutAsync(cluster.Balancer, "/api/profile", new { displayName = "Renamed" }))
        {
            Assert.Equal(HttpStatusCode.OK, rename.StatusCode);
        }

        using (var picture = await user.GetAsync(cluster.Balancer, "/api/profile/picture"))
        {
            Assert.Equal(HttpStatusCode.Redirect, picture.StatusCode);
        }

        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");
        using var requested = await admin.PostAsync(cluster.Balancer, "/api/reports");
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var id = (await requested.Content.ReadFromJsonAsync<Report>(ct))!.Id;
        var report = await Eventually.WaitAsync(
            async () =>
            {
                using var status = await admin.GetAsync(cluster.Balancer, $"/api/reports/{id}");
                return (await status.Content.ReadFromJsonAsync<Report>(ct))!;
            },
            r => r.Status is "done" or "failed", TimeSpan.FromSeconds(60), "the report to be done");
        Assert.Equal("done", report.Status);

        foreach (var (browser, who) in new[] { (user, "the user's"), (admin, "the administrator's") })
        {
            foreach (Cookie cookie in browser.Cookies.GetAllCookies())
            {
                secrets[$"{who} cookie {cookie.Name}"] = cookie.Value;
            }
        }

        Assert.Contains(secrets.Keys, k => k.EndsWith("cookie ss_auth", StringComparison.Ordinal));
        Assert.Contains(secrets.Keys, k => k.EndsWith("cookie XSRF-TOKEN", StringComparison.Ordinal));

        var logs = Directory.EnumerateFiles(cluster.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".log", StringComparison.Ordinal) || Path.GetDirectoryName(f) == Path.Combine(cluster.DataDirectory, "logs"))
            .ToList();
        Assert.Contains(logs, f => f.EndsWith("web-1.log", StringComparison.Ordinal));
        Assert.Contains(logs, f => f.EndsWith("haproxy.log", StringComparison.Ordinal));
        Assert.Contains(logs, f => f.EndsWith("error.log", StringComparison.Ordinal));

        var leaks = new List<string>();
        foreach (var log in logs)
        {
            var text = await ReadSharedAsync(log, ct);
            leaks.AddRange(secrets.Where(s => text.Contains(s.Value, StringComparison.Ordinal)).Select(s => $"{s.Key} in {Path.GetRelativePath(cluster.DataDirectory, log)}"));
        }

        Assert.Empty(leaks);
    }

    /// <summary>Every secret of the cluster itself; the S3 access key names the key and is no secret (it is in every presigned URL).</summary>
    private IEnumerable<KeyValuePair<string, string>> ClusterSecrets() =>
        cluster.Secrets.Where(s => s.Key != "S3_ACCESS_KEY");

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            // The process has just exited.
            return null;
        }
    }

    /// <summary>Reads a log its process still writes to.</summary>
    private static async Task<string> ReadSharedAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    private static MultipartFormDataContent Jpeg()
    {
        var picture = RandomNumberGenerator.GetBytes(10_000);
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }.CopyTo(picture, 0);
        return new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "me.jpg" } };
    }

    private sealed record Report(Guid Id, string Status);
}
