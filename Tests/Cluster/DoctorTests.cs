using System.Net;
using System.Text.RegularExpressions;
using SecondServer.Tests.Support;

namespace SecondServer.Tests.Cluster;

/// <summary>scripts/doctor against the real cluster: all seven rules pass when healthy, and it names the broken one.</summary>
[Collection("cluster")]
public sealed partial class DoctorTests(ClusterFixture cluster)
{
    [Fact]
    public async Task The_doctor_passes_every_rule_on_the_healthy_cluster()
    {
        // No bound on how long it takes: on a shared machine that measures the load more than the doctor.
        await WaitUntilSettledAsync();

        var (exitCode, output) = await cluster.RunScriptAsync("doctor");

        Assert.True(exitCode == 0, output);
        Assert.Equal(7, output.Split('\n').Count(l => l.StartsWith("PASS  rule ", StringComparison.Ordinal)));
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_the_balancer_an_administrator_sees_every_rule_pass_and_every_instance_on_the_pages()
    {
        await WaitUntilSettledAsync();
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Balancer, "admin@example.com");

        var doctor = await PageAsync(admin, cluster.Balancer, "/admin/doctor");
        var nodes = await PageAsync(admin, cluster.Balancer, "/admin/cluster");

        Assert.Equal(7, PassedRule().Matches(doctor).Count);
        Assert.Contains("All 7 rules pass", doctor, StringComparison.Ordinal);
        Assert.Equal(["web-1", "web-2", "worker-1"], InstanceRow().Matches(nodes).Select(m => m.Groups[1].Value));
        Assert.Equal(2, nodes.Split("data-pool=\"UP\"").Length - 1);
        Assert.Equal(3, nodes.Split("data-health=\"ready\"").Length - 1);
    }

    [Fact]
    public async Task Diagnostics_answer_a_direct_request_and_hide_from_the_balancer()
    {
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;

        using var direct = await http.GetAsync(new Uri(cluster.Replica(1), "/internal/diagnostics"), ct);
        using var worker = await http.GetAsync(new Uri($"http://127.0.0.1:{cluster.Port("WORKER_PORT")}/internal/diagnostics"), ct);
        using var balanced = await http.GetAsync(new Uri(cluster.Balancer, "/internal/diagnostics"), ct);

        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Contains("\"runId\"", await direct.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, worker.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, balanced.StatusCode);
    }

    [Fact]
    public async Task The_doctor_names_rule_2_when_a_replica_uses_another_Redis_database()
    {
        var (output, page) = await WithWeb2ChangedAsync(environment =>
            environment["ConnectionStrings__redis"] += ",defaultDatabase=1");

        Assert.True(output.Split('\n').Any(l => l.StartsWith("FAIL  rule 2", StringComparison.Ordinal)
            && l.Contains("web-2 uses Redis db 1 while web-1, worker-1 use Redis db 0", StringComparison.Ordinal)
            && l.Contains("fix: give every instance the same ConnectionStrings:redis", StringComparison.Ordinal)), output);
        // The admin page, rendered by web-1 at the same moment, says the same.
        Assert.Contains("data-rule=\"2\" data-passed=\"false\"", page, StringComparison.Ordinal);
        Assert.Contains("web-2 uses Redis db 1 while web-1, worker-1 use Redis db 0", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_doctor_names_rule_2_when_a_replica_uses_another_Data_Protection_application_name()
    {
        var (output, page) = await WithWeb2ChangedAsync(environment => environment["DataProtection__ApplicationName"] = "Other");

        Assert.True(output.Split('\n').Any(l => l.StartsWith("FAIL  rule 2", StringComparison.Ordinal)
            && l.Contains("web-2 uses Data Protection application name Other while web-1, worker-1 use Data Protection application name SecondServer", StringComparison.Ordinal)), output);
        Assert.Contains("data-rule=\"2\" data-passed=\"false\"", page, StringComparison.Ordinal);
    }

    /// <summary>
    /// Replaces supervisord's web-2 by the same Web.dll started here with a changed environment, runs the doctor
    /// (expecting it to fail) and has an administrator open the doctor page on web-1, then hands web-2 back to
    /// supervisord and waits until HAProxy sees it UP again.
    /// </summary>
    private async Task<(string Output, string Page)> WithWeb2ChangedAsync(Action<Dictionary<string, string>> change)
    {
        await WaitUntilSettledAsync();
        using var admin = new Browser();
        await admin.SignUpAndInAsync(cluster.Replica(1), "admin@example.com");
        var program = ProgramSection(await File.ReadAllTextAsync(Path.Combine(cluster.DataDirectory, "supervisor", "supervisord.conf"), TestContext.Current.CancellationToken), "web-2");
        var environment = EnvironmentEntry().Matches(program["environment"]).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        change(environment);
        var command = program["command"].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        await cluster.SupervisorAsync("stop", "apps:web-2");
        await using var process = ProcessRunner.Start(command[0], command.Skip(1), start =>
        {
            start.WorkingDirectory = program["directory"];
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }, logFile: Path.Combine(cluster.DataDirectory, "logs", "web-2-changed.log"));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.WaitAsync(
                async () =>
                {
                    try
                    {
                        // Ready, not merely answering: its migrations checked and its first answers warm, as the doctor expects of it.
                        using var response = await http.GetAsync(new Uri(cluster.Replica(2), "/health/ready"), TestContext.Current.CancellationToken);
                        return response.StatusCode;
                    }
                    // Not listening yet, or listening but still warming up (its first answer may take longer than
                    // one poll's timeout on a busy machine): either way not yet, within the minute. HttpClient's own
                    // timeout is a TaskCanceledException around a TimeoutException.
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException { InnerException: TimeoutException })
                    {
                        return HttpStatusCode.ServiceUnavailable;
                    }
                },
                status => status == HttpStatusCode.OK || process.HasExited, TimeSpan.FromSeconds(60), "the changed web-2 to answer");
            Assert.False(process.HasExited, "the changed web-2 exited");

            var (exitCode, output) = await cluster.RunScriptAsync("doctor");
            var page = await PageAsync(admin, cluster.Replica(1), "/admin/doctor");

            Assert.True(exitCode == 1, output);
            return (output, page);
        }
        finally
        {
            await process.KillAsync();
            await cluster.SupervisorAsync("start", "apps:web-2");
            await cluster.WaitUntilBothReplicasUpAsync();
        }
    }

    /// <summary>
    /// Both replicas UP and the worker answering its diagnostics: a worker that has just started may still be
    /// compiling its first answers past the doctor's timeout, and the doctor would rightly report it.
    /// </summary>
    private async Task WaitUntilSettledAsync()
    {
        await cluster.WaitUntilBothReplicasUpAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.WaitAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{cluster.Port("WORKER_PORT")}/internal/diagnostics"), TestContext.Current.CancellationToken);
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "worker-1 to answer its diagnostics");
    }

    private static async Task<string> PageAsync(Browser admin, Uri host, string path)
    {
        using var response = await admin.GetAsync(host, path);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {html}");
        return html;
    }

    /// <summary>The key=value lines of one [program:NAME] section of supervisord.conf.</summary>
    private static Dictionary<string, string> ProgramSection(string conf, string name) =>
        conf.Split('\n').SkipWhile(l => l.Trim() != $"[program:{name}]").Skip(1).TakeWhile(l => !l.StartsWith('['))
            .Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    [GeneratedRegex(@"data-rule=""\d"" data-passed=""true""")]
    private static partial Regex PassedRule();

    [GeneratedRegex(@"<tr data-instance=""([^""]+)""")]
    private static partial Regex InstanceRow();

    // supervisord's environment=KEY="value",KEY2="value2"; values hold commas (the Redis connection string).
    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex EnvironmentEntry();
}
