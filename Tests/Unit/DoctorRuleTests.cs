using SecondServer.Infrastructure.Diagnostics;
using SecondServer.Infrastructure.Diagnostics.Probes;
using SecondServer.Web.Doctor;

namespace SecondServer.Tests.Unit;

/// <summary>The doctor's comparisons and parsers on observations built by hand: fast, and every message pinned.</summary>
public sealed class DoctorRuleTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 22, 2, 0, 0, TimeSpan.Zero);

    private const string Config = """
        backend be_web
            balance roundrobin
            option httpchk
            http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
            http-check expect status 200
            server web-1 127.0.0.1:5101 check
            server web-2 127.0.0.1:5102 check

        listen stats
            bind 127.0.0.1:8404
        """;

    [Fact]
    public void A_disagreement_names_the_odd_one_out_against_the_majority()
    {
        var sentence = Agreement.Disagreement([("web-1", "0"), ("web-2", "1"), ("worker-1", "0")], "Redis db");

        Assert.Equal("web-2 uses Redis db 1 while web-1, worker-1 use Redis db 0", sentence);
        Assert.Null(Agreement.Disagreement([("web-1", "0"), ("web-2", "0")], "Redis db"));
    }

    [Fact]
    public void A_healthy_cluster_passes_all_seven_rules()
    {
        var cluster = Observation(Print("web-1"), Print("web-2"), Print("worker-1"));

        var results = DoctorRules.All.Select(r => (r.Number, Result: r.Check(cluster))).ToList();

        Assert.All(results, r => Assert.True(r.Result.Passed, $"rule {r.Number}: {r.Result.Evidence}"));
        Assert.Contains("all 3 instances use MySQL uuid-1/appdb, Redis run-1 db0 prefix ss:", results[1].Result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_Redis_database_on_one_replica_fails_rules_2_4_and_5_naming_it()
    {
        var other = Print("web-2") with { Redis = new RedisFingerprint("127.0.0.1:6380", "run-1", 1, "ss:", null) };
        var cluster = Observation(Print("web-1"), other, Print("worker-1"));

        var failed = DoctorRules.All.Where(r => !r.Check(cluster).Passed).Select(r => r.Number);
        var rule2 = new SourceOfTruthRule().Check(cluster);

        Assert.Equal([2, 4, 5], failed);
        Assert.Equal("web-2 uses Redis db 1 while web-1, worker-1 use Redis db 0", rule2.Evidence);
        Assert.Equal("give every instance the same ConnectionStrings:redis", rule2.Fix);
    }

    [Fact]
    public void Another_application_name_or_key_ring_fails_rule_2()
    {
        var renamed = Print("web-2") with { DataProtection = new DataProtectionFingerprint("Other", ["k1"], null) };
        var rekeyed = Print("web-2") with { DataProtection = new DataProtectionFingerprint("SecondServer", ["k2"], null) };

        var byName = new SourceOfTruthRule().Check(Observation(Print("web-1"), renamed, Print("worker-1")));
        var byKeys = new SourceOfTruthRule().Check(Observation(Print("web-1"), rekeyed, Print("worker-1")));

        Assert.StartsWith("web-2 uses Data Protection application name Other while", byName.Evidence, StringComparison.Ordinal);
        Assert.Equal("web-2 uses key ring [k2] while web-1, worker-1 use key ring [k1]", byKeys.Evidence);
    }

    [Fact]
    public void Sessions_outside_Redis_an_unanswered_instance_and_a_mixed_release_fail()
    {
        var cookies = Print("web-2") with { SessionStore = "none (the whole ticket in the cookie)" };
        var old = Print("web-2") with { Release = new ReleaseFingerprint("r1", "1.0.0", Started) };
        var silent = new InstanceObservation(new InstanceAddress("web-2", InstanceRole.Web, new Uri("http://127.0.0.1:5102")), null, "Connection refused", false, "Connection refused");

        var sessions = new SourceOfTruthRule().Check(Observation(Print("web-1"), cookies, Print("worker-1")));
        var release = new RollingDeployRule().Check(Observation(Print("web-1"), old, Print("worker-1")));
        var cluster = Observation(Print("web-1"), Print("worker-1")) with { Instances = [Instance(Print("web-1")), silent, Instance(Print("worker-1"))] };

        Assert.Equal("web-2 keeps sessions in none (the whole ticket in the cookie)", sessions.Evidence);
        Assert.Equal("web-2 uses release r1 while web-1, worker-1 use release r2", release.Evidence);
        Assert.Equal("web-2 did not answer /internal/diagnostics (Connection refused)", new UploadsRule().Check(cluster).Evidence);
        Assert.False(new RollingDeployRule().Check(cluster).Passed);
    }

    [Fact]
    public void Instances_that_all_fail_to_reach_Redis_do_not_count_as_agreeing()
    {
        var blind = new RedisFingerprint("127.0.0.1:6380", null, 0, "ss:", "NOAUTH Authentication required.");
        var cluster = Observation(Print("web-1") with { Redis = blind }, Print("web-2") with { Redis = blind }, Print("worker-1") with { Redis = blind });

        var result = new SourceOfTruthRule().Check(cluster);

        Assert.False(result.Passed);
        Assert.StartsWith("web-1 cannot read its Redis server (NOAUTH Authentication required.); web-2 cannot", result.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void The_balancer_rule_reads_the_check_path_and_every_replicas_state()
    {
        var live = Observation(Print("web-1"), Print("web-2"), Print("worker-1")) with { HaproxyConfig = Config.Replace("/health/ready", "/health/live", StringComparison.Ordinal) };
        var down = Observation(Print("web-1"), Print("web-2"), Print("worker-1")) with { BackendServers = [new("web-1", "UP"), new("web-2", "DOWN")] };

        Assert.Equal("be_web health-checks /health/live", new BalancerRule().Check(live).Evidence);
        Assert.Equal("HAProxy sees web-2 DOWN", new BalancerRule().Check(down).Evidence);
        Assert.Equal("/health/ready", BalancerRule.CheckPath(["option httpchk GET /health/ready"]));
        Assert.Null(BalancerRule.Section(Config, "be_other"));
    }

    [Fact]
    public void Listener_output_is_parsed_by_its_columns()
    {
        const string Ss = """
            LISTEN 0      4096       127.0.0.1:5101       0.0.0.0:*
            LISTEN 0      4096         0.0.0.0:8080       0.0.0.0:*
            LISTEN 0      511             [::]:6380          [::]:*
            """;

        var listeners = ListenerScan.Parse(Ss);
        Assert.Equal([new Listener("127.0.0.1", 5101), new Listener("0.0.0.0", 8080), new Listener("[::]", 6380)], listeners);
        var exposed = Observation(Print("web-1"), Print("web-2"), Print("worker-1")) with { Listeners = listeners };
        Assert.Equal("private ports listen publicly: [::]:6380", new NetworkSecurityRule().Check(exposed).Evidence.Split("  ")[0]);
    }

    [Fact]
    public void The_Cluster_settings_are_the_doctor_arguments_and_a_missing_one_is_named_as_a_setting()
    {
        var options = new ClusterOptions
        {
            Web = ["web-1=http://127.0.0.1:5101", "web-2=http://127.0.0.1:5102"],
            Workers = ["worker-1=http://127.0.0.1:5201"],
            HaproxyConfig = "haproxy.cfg",
            HaproxySocket = "admin.sock",
            PublicPorts = [8080, 8443],
            PrivatePorts = [5101, 6380],
            Redis = "127.0.0.1:6380",
            MySql = "127.0.0.1:3307",
        };
        var fromCommandLine = DoctorSettings.Parse(
        [
            "--web", "web-1=http://127.0.0.1:5101", "--web", "web-2=http://127.0.0.1:5102", "--worker", "worker-1=http://127.0.0.1:5201",
            "--haproxy-config", "haproxy.cfg", "--haproxy-socket", "admin.sock", "--public-port", "8080", "--public-port", "8443",
            "--private-port", "5101", "--private-port", "6380", "--redis", "127.0.0.1:6380", "--mysql", "127.0.0.1:3307",
        ]);
        var validator = new ClusterOptionsValidator();

        var settings = options.ToSettings();
        options.MySql = "db-without-port";

        Assert.Equal(fromCommandLine.Instances, settings.Instances);
        Assert.Equal((fromCommandLine.HaproxySocket, fromCommandLine.Backend, fromCommandLine.MySqlPort), (settings.HaproxySocket, settings.Backend, settings.MySqlPort));
        Assert.Equal(fromCommandLine.PrivatePorts, settings.PrivatePorts);
        Assert.Equal("Cluster:MySql expects HOST:PORT, got 'db-without-port'.", validator.Validate(null, options).FailureMessage);
        Assert.True(validator.Validate(null, new ClusterOptions()).Succeeded);
        Assert.Contains("Cluster:Web names no web replica", validator.Validate(null, new ClusterOptions { HaproxySocket = "admin.sock" }).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_release_name_comes_from_the_resolved_instance_link()
    {
        var root = Directory.CreateTempSubdirectory("ss-release-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "releases", "20261122-abc", "web"));
            Directory.CreateDirectory(Path.Combine(root, "instances"));
            Directory.CreateSymbolicLink(Path.Combine(root, "instances", "web-1"), Path.Combine("..", "releases", "20261122-abc"));

            Assert.Equal("20261122-abc", Fingerprints.ReleaseName(Path.Combine(root, "instances", "web-1", "web")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static InstanceFingerprint Print(string instance) => new(
        instance,
        instance.StartsWith("worker", StringComparison.Ordinal) ? "Worker" : "Web",
        new DatabaseFingerprint("127.0.0.1:3307/appdb", "uuid-1", "appdb", "20261122_0100_accounts", null),
        new RedisFingerprint("127.0.0.1:6380", "run-1", 0, "ss:", null),
        new StorageFingerprint("http://127.0.0.1:9000", "uploads"),
        new DataProtectionFingerprint("SecondServer", ["k1"], null),
        "RedisTicketStore",
        "redis",
        new ReleaseFingerprint("r2", "1.0.0", Started));

    private static InstanceObservation Instance(InstanceFingerprint print) => new(
        new InstanceAddress(print.Instance, print.Host == "Worker" ? InstanceRole.Worker : InstanceRole.Web, new Uri("http://127.0.0.1:5101")), print, null, true, "200");

    private static ClusterObservation Observation(params InstanceFingerprint[] prints) => new(
        [.. prints.Select(Instance)],
        "be_web",
        Config,
        [new("web-1", "UP"), new("web-2", "UP")],
        null,
        [8080, 8443],
        [5101, 5102, 5201, 6380, 3307, 9000],
        [new("0.0.0.0", 8080), new("0.0.0.0", 8443), new("127.0.0.1", 5101), new("127.0.0.1", 6380)],
        null,
        [new("Redis without password", true, "-NOAUTH"), new("anonymous MySQL user", true, "Access denied")]);
}
