using System.Net;
using System.Net.Sockets;
using SecondServer.Infrastructure.Diagnostics.Balancer;

namespace SecondServer.Tests.Unit;

/// <summary>
/// The one reader of HAProxy's <c>show stat</c> (the doctor, the cluster page, the balancer sampler and the cluster
/// tests all go through it), on what HAProxy 2.6 prints and on headers with fewer columns.
/// </summary>
public sealed class HaproxyStatTests
{
    [Fact]
    public void What_HAProxy_2_6_prints_is_read_by_its_header()
    {
        // Captured from HAProxy 2.6.12: web-1 checked and serving, web-2 refusing connections, web-3 drained.
        var stat = Capture("show-stat-2.6.csv");

        Assert.Equal(
            [
                new BackendServer("web-1", "UP", "L7OK", TimeSpan.FromSeconds(5), 5, 5, 15),
                new BackendServer("web-2", "DOWN", "L4CON", TimeSpan.FromSeconds(4), 0, 0, 0),
                new BackendServer("web-3", "DRAIN", "L7OK", TimeSpan.FromSeconds(1), 4, 4, 1),
            ],
            HaproxyStat.Parse(stat, "be_web"));
        Assert.Empty(HaproxyStat.Parse(stat, "be_web_open"));
    }

    [Fact]
    public void Requests_and_response_time_are_read_where_HAProxy_gives_them()
    {
        const string Stat = """
            # pxname,svname,stot,status,lastchg,check_status,req_tot,rtime
            be_web,web-1,40,UP,10,L7OK,57,23
            """;

        Assert.Equal([new BackendServer("web-1", "UP", "L7OK", TimeSpan.FromSeconds(10), 40, 57, 23)], HaproxyStat.Parse(Stat, "be_web"));
    }

    [Fact]
    public void Without_those_columns_requests_are_sessions_and_a_check_in_flight_reads_as_its_outcome()
    {
        const string Stat = """
            # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,lastchg,check_status
            fe_web,FRONTEND,,,0,1,,1,0,0,0,0,0,,,,,OPEN,,,
            be_web,web-1,0,0,0,1,,17,0,0,,0,,0,0,0,0,UP,1,3725,* L7OK
            be_web,web-2,0,0,0,1,,4,0,0,,0,,0,0,0,0,DRAIN,1,12,
            be_web,BACKEND,0,0,0,1,,21,0,0,0,0,,0,0,0,0,UP,2,3725,
            """;

        Assert.Equal(
            [new BackendServer("web-1", "UP", "L7OK", TimeSpan.FromSeconds(3725), 17, 17), new BackendServer("web-2", "DRAIN", null, TimeSpan.FromSeconds(12), 4, 4)],
            HaproxyStat.Parse(Stat, "be_web"));
    }

    [Fact]
    public void The_runtime_API_is_a_TCP_endpoint_for_HOST_PORT_and_a_socket_file_otherwise()
    {
        Assert.Equal(new DnsEndPoint("10.0.1.10", 9999), HaproxyRuntimeApi.Endpoint("10.0.1.10:9999"));
        Assert.IsType<UnixDomainSocketEndPoint>(HaproxyRuntimeApi.Endpoint("/run/haproxy/admin.sock"));
        Assert.IsType<UnixDomainSocketEndPoint>(HaproxyRuntimeApi.Endpoint(".data/haproxy/admin.sock"));
    }

    private static string Capture(string name)
    {
        using var stream = typeof(HaproxyStatTests).Assembly.GetManifestResourceStream($"haproxy/{name}")
            ?? throw new InvalidOperationException($"No embedded capture haproxy/{name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
