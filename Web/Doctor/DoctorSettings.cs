using System.Globalization;

namespace SecondServer.Web.Doctor;

/// <summary>Whether an instance serves requests behind the balancer or consumes the queue.</summary>
internal enum InstanceRole
{
    Web,
    Worker,
}

/// <summary>One instance the doctor asks directly, by its private address.</summary>
internal sealed record InstanceAddress(string Name, InstanceRole Role, Uri Address);

/// <summary>
/// The cluster's description, from the command line <c>scripts/doctor</c> builds: where each instance answers, the
/// balancer's configuration and runtime socket, which ports belong to the cluster and where Redis and MySQL are.
/// </summary>
internal sealed record DoctorSettings(
    IReadOnlyList<InstanceAddress> Instances,
    string HaproxyConfig,
    string HaproxySocket,
    string Backend,
    IReadOnlyList<int> PublicPorts,
    IReadOnlyList<int> PrivatePorts,
    string RedisHost,
    int RedisPort,
    string MySqlHost,
    int MySqlPort)
{
    public const string Usage = """
        usage: dotnet Web.dll doctor --web NAME=URL... --worker NAME=URL... --haproxy-config FILE --haproxy-socket FILE
                                     [--backend be_web] --public-port PORT... --private-port PORT...
                                     --redis HOST:PORT --mysql HOST:PORT
        """;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public static DoctorSettings Parse(IReadOnlyList<string> args)
    {
        var instances = new List<InstanceAddress>();
        var publicPorts = new List<int>();
        var privatePorts = new List<int>();
        var single = new Dictionary<string, string>(StringComparer.Ordinal) { ["--backend"] = "be_web" };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--web" or "--worker":
                    var parts = value.Split('=', 2);
                    if (parts.Length != 2 || !Uri.TryCreate(parts[1], UriKind.Absolute, out var address))
                    {
                        throw new ArgumentException($"{name} expects NAME=URL, got '{value}'.");
                    }

                    instances.Add(new InstanceAddress(parts[0], name == "--web" ? InstanceRole.Web : InstanceRole.Worker, address));
                    break;
                case "--public-port":
                    publicPorts.Add(Port(name, value));
                    break;
                case "--private-port":
                    privatePorts.Add(Port(name, value));
                    break;
                case "--haproxy-config" or "--haproxy-socket" or "--backend" or "--redis" or "--mysql":
                    single[name] = value;
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{name}'.");
            }
        }

        if (!instances.Any(i => i.Role == InstanceRole.Web))
        {
            throw new ArgumentException("at least one --web NAME=URL is needed.");
        }

        var (redisHost, redisPort) = HostAndPort("--redis", Required(single, "--redis"));
        var (mysqlHost, mysqlPort) = HostAndPort("--mysql", Required(single, "--mysql"));
        return new DoctorSettings(instances, Required(single, "--haproxy-config"), Required(single, "--haproxy-socket"), single["--backend"],
            publicPorts, privatePorts, redisHost, redisPort, mysqlHost, mysqlPort);
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"{name} is required.");

    private static int Port(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new ArgumentException($"{name} expects a port number, got '{value}'.");

    private static (string Host, int Port) HostAndPort(string name, string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 ? (value[..colon], Port(name, value[(colon + 1)..])) : throw new ArgumentException($"{name} expects HOST:PORT, got '{value}'.");
    }
}
